/* store/wal_writes.c - a commit's log frames written to the WAL file in one write.
 *
 * SQLite writes each frame of a commit to the log with two pwrite calls, its 24-byte header
 * and its page. A group commit of thirty webhooks writes about a hundred frames, so the
 * committer made some two hundred system calls per commit, a third of its time on the
 * clock, while each request of the batch waited. This VFS sits over SQLite's default one
 * and gathers the writes to a log file that follow one another in the file, and writes
 * them out in one call:
 *
 *   - at the end of a commit: once the page of a commit frame (a header whose bytes 4..7,
 *     the database's size after the commit, are not zero) is written, before SQLite
 *     returns to publish the frames in the shared index, so no connection of any process
 *     can be told of a frame that is not in the file yet;
 *   - before anything that reads, syncs, sizes, truncates or closes the file, and before a
 *     write that does not follow the gathered ones (a transaction that was rolled back
 *     writes again from the log's last commit);
 *   - when the gathered bytes would pass WAL_GATHER_BYTES.
 *
 * A failed write is reported by the call that wrote it out, at the latest the commit's own
 * write, which then fails as if its own pwrite had. Nothing changes in what is written,
 * where, or in what order relative to the syncs; other files pass straight through. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* SQLite's unix VFS writes at most 0x1ffff bytes per call (it masks the length to 17 bits
 * and takes a shorter write for a full disk), so a write stays below 128 KiB: a batch of
 * thirty webhooks, about 370 KB of frames, is written in three. */
#define WAL_GATHER_BYTES (124 * 1024)
#define FRAME_HEADER_BYTES 24

struct wal_file {
    sqlite3_file base;
    unsigned char *gathered; /* WAL_GATHER_BYTES, allocated at the first write */
    size_t len;
    sqlite3_int64 at; /* the file offset of gathered[0] */
    bool commit_next; /* the last write was a commit frame's header: its page ends it */
    sqlite3_file *real;
};

static sqlite3_vfs *base_vfs;
static sqlite3_vfs wal_vfs;

static int flush(struct wal_file *w)
{
    if (w->len == 0)
        return SQLITE_OK;
    int rc = w->real->pMethods->xWrite(w->real, w->gathered, (int)w->len, w->at);
    w->len = 0;
    return rc;
}

static int wal_close(sqlite3_file *f)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = flush(w);
    int closed = w->real->pMethods->xClose(w->real);
    free(w->gathered);
    w->gathered = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int wal_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, buf, amt, off);
}

static int wal_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    struct wal_file *w = (struct wal_file *)f;
    const unsigned char *bytes = buf;
    bool ends_commit = w->commit_next;
    w->commit_next = amt == FRAME_HEADER_BYTES && (bytes[4] | bytes[5] | bytes[6] | bytes[7]);
    if (!w->gathered && !(w->gathered = malloc(WAL_GATHER_BYTES)))
        return w->real->pMethods->xWrite(w->real, buf, amt, off); /* as SQLite alone */
    int rc = SQLITE_OK;
    if (w->len > 0 && (off != w->at + (sqlite3_int64)w->len ||
                       w->len + (size_t)amt > WAL_GATHER_BYTES))
        rc = flush(w);
    if (rc != SQLITE_OK)
        return rc;
    if ((size_t)amt > WAL_GATHER_BYTES)
        return w->real->pMethods->xWrite(w->real, buf, amt, off);
    if (w->len == 0)
        w->at = off;
    memcpy(w->gathered + w->len, buf, (size_t)amt);
    w->len += (size_t)amt;
    return ends_commit ? flush(w) : SQLITE_OK;
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_lock(sqlite3_file *f, int level)
{
    struct wal_file *w = (struct wal_file *)f;
    return w->real->pMethods->xLock(w->real, level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
    struct wal_file *w = (struct wal_file *)f;
    return w->real->pMethods->xUnlock(w->real, level);
}

static int wal_check_reserved(sqlite3_file *f, int *out)
{
    struct wal_file *w = (struct wal_file *)f;
    return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
    struct wal_file *w = (struct wal_file *)f;
    return w->real->pMethods->xSectorSize(w->real);
}

static int wal_device(sqlite3_file *f)
{
    struct wal_file *w = (struct wal_file *)f;
    return w->real->pMethods->xDeviceCharacteristics(w->real);
}

/* Version 1: a log file has no shared memory or memory map of its own. */
static const sqlite3_io_methods wal_methods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device,
};

/* The base VFS's file lives right after ours, in the szOsFile bytes SQLite allocates. */
#define REAL_OFFSET ((sizeof(struct wal_file) + 15) & ~(size_t)15)

static int wal_vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                        int *out_flags)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return base_vfs->xOpen(base_vfs, name, f, flags, out_flags); /* its own methods */
    struct wal_file *w = (struct wal_file *)f;
    memset(w, 0, sizeof *w);
    w->real = (sqlite3_file *)(void *)((char *)f + REAL_OFFSET);
    int rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        w->base.pMethods = NULL; /* SQLite closes nothing then */
        return rc;
    }
    w->base.pMethods = &wal_methods;
    return SQLITE_OK;
}

static void register_vfs(void)
{
    base_vfs = sqlite3_vfs_find(NULL);
    if (!base_vfs)
        return;
    wal_vfs = *base_vfs; /* the rest of the VFS is the base's own, with its app data */
    wal_vfs.pNext = NULL;
    wal_vfs.zName = "connectord";
    wal_vfs.szOsFile = (int)(REAL_OFFSET + (size_t)base_vfs->szOsFile);
    wal_vfs.xOpen = wal_vfs_open;
    sqlite3_vfs_register(&wal_vfs, 1);
}

void store_sqlite_wal_writes_register(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_vfs);
}
