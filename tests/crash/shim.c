/* tests/crash/shim.c - an LD_PRELOAD library that watches (and can betray) the store's disk.
 *
 * SIGKILL leaves every write the server made in the kernel's cache, so a crash test alone
 * cannot see an answer sent before its fsync. This shim sits between the server and libc
 * and does two things, each turned on by the environment:
 *
 *   CRASHSHIM_DB=/abs/path/store.db   the store file; it and its "-wal" are the watched files
 *
 *   CRASHSHIM_LOG=FILE (order log)    appends one line per event, numbered in one global order:
 *       M seq id...      a write to the WAL that holds these marked ids (CRASHSHIM_MARK, below)
 *       C seq            a write to the WAL that holds the header of a frame ending a
 *                        transaction (a commit frame)
 *       S begin end k    fsync/fdatasync of watched file k (wal or db): began at begin,
 *                        returned at end; data written before begin is durable at end
 *       A seq status id  an HTTP answer leaving on a socket: status and its X-Request-Id
 *     CRASHSHIM_MARK=PREFIX  ids are PREFIX followed by [A-Za-z0-9_-]; the load client puts
 *     them into every webhook's external id, so the WAL write that carries a webhook is known.
 *     tests/crash/fsync-order.test.js reads the log: a 2xx may leave only after an fsync of
 *     the WAL that began after the commit frame of the transaction holding its webhook.
 *
 *   CRASHSHIM_FAIL_SYNC=N             the Nth fsync/fdatasync of the WAL fails with EIO, and
 *     (with CRASHSHIM_DURABLE) the writes it was to make durable never reach the image, as a
 *     kernel that drops the pages it could not write back: the process still reads them from
 *     the cache, the disk does not have them. Every other descriptor of the WAL open then
 *     hears of the error at its next sync (EIO once), as Linux reports a failed writeback.
 *
 *   CRASHSHIM_DURABLE=1 (power cut)   keeps, beside each watched file, FILE.durable: the file
 *     as the disk would hold it after a power cut. A write goes to the real file and is kept
 *     in memory; an fsync/fdatasync of the file applies the writes that had returned before
 *     it began to FILE.durable. After a SIGKILL the test puts the .durable images in place of
 *     the files (everything not fsynced is gone) and restarts the server on them. Directory
 *     entries are taken as durable (SQLite fsyncs the directory when it makes the WAL).
 *
 * SQLite (Debian's libsqlite3) writes with pwrite64, syncs with fdatasync, truncates with
 * ftruncate64 and opens with open64; connectord's syncer opens the WAL with open and syncs it
 * with fdatasync; libmicrohttpd answers with send, sendmsg or write. Each is wrapped here and
 * calls the next definition (RTLD_NEXT), so the shim works under the sanitizer build too
 * (with ASAN_OPTIONS=verify_asan_link_order=0). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 65536
#define KIND_NONE 0
#define KIND_DB 1
#define KIND_WAL 2
#define MAX_ID 64

/* A write not yet made durable: kept until an fsync of its file applies it to the image. */
struct pending {
    struct pending *next;
    off_t off;
    size_t len;
    bool truncate; /* ftruncate to off */
    unsigned char data[];
};

struct watched {
    char path[4096];
    char image[4200];
    int image_fd; /* -1 until the file is first opened in this process */
    struct pending *head, *tail;
    pthread_mutex_t sync_lock; /* one fsync applies at a time, in order */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char kinds[MAX_FDS];
/* Linux reports a failed writeback once to every open file description of the file (its
 * errseq): the WAL error each descriptor has heard of, so that the next fsync on another
 * descriptor (SQLite's checkpointer, connectord's syncer) fails too, as the kernel's would. */
static long seen_errors[MAX_FDS];
static struct watched files[3];
static bool enabled, durable;
static int log_fd = -1;
static long fail_sync_at;  /* CRASHSHIM_FAIL_SYNC; 0: never */
static long wal_syncs;     /* WAL syncs so far */
static long wal_errors;    /* WAL syncs that failed so far (the file's error sequence) */
static uint64_t seq;
static char mark[32];
static size_t mark_len;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

/* A wrapper may run before the constructor (another library's initializer opens a file):
 * it then looks its next definition up itself. */
static void *resolve(void **slot, const char *name)
{
    *slot = dlsym(RTLD_NEXT, name);
    return *slot;
}
#define NEXT(fn) \
    (real_##fn ? real_##fn : (__typeof__(real_##fn))resolve((void **)&real_##fn, #fn))

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Written with the raw system call: not through the wrappers, and it survives SIGKILL. */
static void log_line(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n <= 0 || log_fd < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    syscall(SYS_write, log_fd, line, (size_t)n);
}

/* Copies path to image as it is now: what this process starts from is on disk. */
static int image_init(struct watched *w)
{
    int out = NEXT(open)(w->image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return -1;
    int in = NEXT(open)(w->path, O_RDONLY | O_CLOEXEC);
    if (in >= 0) {
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (syscall(SYS_write, out, buf, (size_t)n) != n)
                break;
        NEXT(close)(in);
    }
    return out;
}

__attribute__((constructor)) static void shim_init(void)
{
    real_open = dlsym(RTLD_NEXT, "open");
    real_open64 = dlsym(RTLD_NEXT, "open64");
    real_openat = dlsym(RTLD_NEXT, "openat");
    real_close = dlsym(RTLD_NEXT, "close");
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_send = dlsym(RTLD_NEXT, "send");
    real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
    const char *db = getenv("CRASHSHIM_DB");
    if (!db || !*db || strlen(db) > 4000)
        return;
    snprintf(files[KIND_DB].path, sizeof files[KIND_DB].path, "%s", db);
    snprintf(files[KIND_WAL].path, sizeof files[KIND_WAL].path, "%s-wal", db);
    for (int k = KIND_DB; k <= KIND_WAL; k++) {
        snprintf(files[k].image, sizeof files[k].image, "%s.durable", files[k].path);
        files[k].image_fd = -1;
        pthread_mutex_init(&files[k].sync_lock, NULL);
    }
    const char *m = getenv("CRASHSHIM_MARK");
    if (m && *m && strlen(m) < sizeof mark) {
        memcpy(mark, m, strlen(m) + 1);
        mark_len = strlen(m);
    }
    const char *lp = getenv("CRASHSHIM_LOG");
    if (lp && *lp)
        log_fd = NEXT(open)(lp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const char *f = getenv("CRASHSHIM_FAIL_SYNC");
    fail_sync_at = f ? strtol(f, NULL, 10) : 0;
    const char *d = getenv("CRASHSHIM_DURABLE");
    durable = d && strcmp(d, "1") == 0;
    enabled = true;
}

static int kind_of_path(const char *path)
{
    if (!enabled || !path)
        return KIND_NONE;
    if (strcmp(path, files[KIND_DB].path) == 0)
        return KIND_DB;
    if (strcmp(path, files[KIND_WAL].path) == 0)
        return KIND_WAL;
    return KIND_NONE;
}

static int kind_of_fd(int fd)
{
    return fd >= 0 && fd < MAX_FDS ? kinds[fd] : KIND_NONE;
}

static void opened(int fd, const char *path)
{
    int k = kind_of_path(path);
    if (fd < 0 || fd >= MAX_FDS)
        return;
    pthread_mutex_lock(&lock);
    kinds[fd] = (unsigned char)k;
    seen_errors[fd] = wal_errors; /* a descriptor hears of errors after its open only */
    if (k != KIND_NONE && durable && files[k].image_fd < 0)
        files[k].image_fd = image_init(&files[k]);
    pthread_mutex_unlock(&lock);
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    int fd = NEXT(open)(path, flags, mode);
    opened(fd, path);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    int fd = NEXT(open64)(path, flags, mode);
    opened(fd, path);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    int fd = NEXT(openat)(dirfd, path, flags, mode);
    opened(fd, path);
    return fd;
}

int close(int fd)
{
    if (fd >= 0 && fd < MAX_FDS && kinds[fd]) {
        pthread_mutex_lock(&lock);
        kinds[fd] = KIND_NONE;
        pthread_mutex_unlock(&lock);
    }
    return NEXT(close)(fd);
}

/* The log's page size, from its header (bytes 8..11 of the file); 4096 until one is seen. */
static unsigned long wal_page = 4096;

/* Called with lock held: the ids a WAL write (len bytes at off) carries, and whether it
 * ends a transaction. The store writes a commit's frames in one write (src/store/
 * wal_writes.c), SQLite alone a frame's header and page apart: the frame headers are found
 * at their places in the file, 32 + n * (24 + page size). */
static void note_wal_write(const unsigned char *buf, size_t len, off_t off)
{
    if (off == 0 && len >= 12) {
        unsigned long page = (unsigned long)buf[8] << 24 | (unsigned long)buf[9] << 16 |
                             (unsigned long)buf[10] << 8 | buf[11];
        if (page >= 512 && page <= 65536)
            wal_page = page;
    }
    const off_t frame = (off_t)(24 + wal_page);
    off_t first = off <= 32 ? 32 : 32 + (off - 32 + frame - 1) / frame * frame;
    for (off_t h = first; h + 24 <= off + (off_t)len; h += frame) {
        /* Bytes 4..7 (big-endian) of a frame header are the database's size in pages after
         * a commit, 0 in every other frame. */
        const unsigned char *head = buf + (h - off);
        if (head[4] | head[5] | head[6] | head[7]) {
            log_line("C %llu\n", (unsigned long long)seq);
            break;
        }
    }
    if (!mark_len)
        return;
    char line[1000];
    size_t used = 0;
    const unsigned char *p = buf, *end = buf + len;
    while ((p = memmem(p, (size_t)(end - p), mark, mark_len)) != NULL) {
        const unsigned char *q = p + mark_len;
        while (q < end && q - p < MAX_ID &&
               ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
                (*q >= 'a' && *q <= 'z') || *q == '_' || *q == '-'))
            q++;
        if (used + (size_t)(q - p) + 2 >= sizeof line - 40) {
            /* a page of an index holds many ids: a line full goes out, the next begins */
            log_line("M %llu%.*s\n", (unsigned long long)seq, (int)used, line);
            used = 0;
        }
        line[used++] = ' ';
        memcpy(line + used, p, (size_t)(q - p));
        used += (size_t)(q - p);
        p = q;
    }
    if (used)
        log_line("M %llu%.*s\n", (unsigned long long)seq, (int)used, line);
}

/* After a successful write of len bytes at off to a watched file. */
static void wrote(int k, const void *buf, size_t len, off_t off)
{
    pthread_mutex_lock(&lock);
    seq++;
    if (k == KIND_WAL && log_fd >= 0)
        note_wal_write(buf, len, off);
    if (durable) {
        struct pending *p = malloc(sizeof *p + len);
        if (p) {
            *p = (struct pending){.off = off, .len = len};
            memcpy(p->data, buf, len);
            if (files[k].tail)
                files[k].tail->next = p;
            else
                files[k].head = p;
            files[k].tail = p;
        }
    }
    pthread_mutex_unlock(&lock);
}

static void truncated(int k, off_t size)
{
    if (!durable)
        return;
    pthread_mutex_lock(&lock);
    struct pending *p = calloc(1, sizeof *p);
    if (p) {
        p->off = size;
        p->truncate = true;
        if (files[k].tail)
            files[k].tail->next = p;
        else
            files[k].head = p;
        files[k].tail = p;
    }
    pthread_mutex_unlock(&lock);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    ssize_t n = NEXT(pwrite)(fd, buf, len, off);
    int k = kind_of_fd(fd);
    if (k && n > 0)
        wrote(k, buf, (size_t)n, off);
    return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    ssize_t n = NEXT(pwrite64)(fd, buf, len, off);
    int k = kind_of_fd(fd);
    if (k && n > 0)
        wrote(k, buf, (size_t)n, off);
    return n;
}

int ftruncate(int fd, off_t size)
{
    int rc = NEXT(ftruncate)(fd, size);
    int k = kind_of_fd(fd);
    if (k && rc == 0)
        truncated(k, size);
    return rc;
}

int ftruncate64(int fd, off_t size)
{
    int rc = NEXT(ftruncate64)(fd, size);
    int k = kind_of_fd(fd);
    if (k && rc == 0)
        truncated(k, size);
    return rc;
}

/* An fsync of watched file k: what was written before it began becomes durable. */
static int synced(int k, int fd, int (*fn)(int))
{
    struct watched *w = &files[k];
    pthread_mutex_lock(&w->sync_lock);
    pthread_mutex_lock(&lock);
    uint64_t begin = ++seq;
    struct pending *list = w->head;
    w->head = w->tail = NULL;
    bool fail = k == KIND_WAL && ++wal_syncs == fail_sync_at;
    if (fail)
        wal_errors++;
    bool reported = k == KIND_WAL && seen_errors[fd] < wal_errors; /* this one, or before */
    if (k == KIND_WAL)
        seen_errors[fd] = wal_errors;
    pthread_mutex_unlock(&lock);
    int rc = fail ? -1 : fn(fd);
    int saved = fail ? EIO : errno;
    bool written = rc == 0; /* what this sync did write reaches the image */
    if (reported && rc == 0) {
        rc = -1;
        saved = EIO;
    }
    pthread_mutex_lock(&lock);
    uint64_t end = ++seq;
    if (rc == 0)
        log_line("S %llu %llu %s\n", (unsigned long long)begin, (unsigned long long)end,
                 k == KIND_WAL ? "wal" : "db");
    pthread_mutex_unlock(&lock);
    for (struct pending *p = list, *next; p; p = next) {
        next = p->next;
        if (written && w->image_fd >= 0) {
            if (p->truncate) {
                if (NEXT(ftruncate)(w->image_fd, p->off) < 0)
                    abort();
            } else if (NEXT(pwrite)(w->image_fd, p->data, p->len, p->off) != (ssize_t)p->len) {
                abort();
            }
        }
        free(p);
    }
    pthread_mutex_unlock(&w->sync_lock);
    errno = saved;
    return rc;
}

int fsync(int fd)
{
    int k = kind_of_fd(fd);
    return k ? synced(k, fd, NEXT(fsync)) : NEXT(fsync)(fd);
}

int fdatasync(int fd)
{
    int k = kind_of_fd(fd);
    return k ? synced(k, fd, NEXT(fdatasync)) : NEXT(fdatasync)(fd);
}

/* An HTTP answer's head in buf: logs its status and X-Request-Id before it leaves. */
static void maybe_answer(int fd, const void *buf, size_t len)
{
    if (log_fd < 0 || len < 12 || memcmp(buf, "HTTP/1.", 7) != 0)
        return;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
        return;
    const char *s = buf;
    int status = atoi(s + 9);
    char rid[80] = "-";
    const char *h = memmem(s, len, "\r\nX-Request-Id: ", 16);
    if (!h)
        h = memmem(s, len, "\r\nx-request-id: ", 16);
    if (h) {
        h += 16;
        size_t n = 0;
        while (h + n < s + len && h[n] != '\r' && n < sizeof rid - 1)
            n++;
        memcpy(rid, h, n);
        rid[n] = '\0';
    }
    pthread_mutex_lock(&lock);
    log_line("A %llu %d %s\n", (unsigned long long)++seq, status, rid);
    pthread_mutex_unlock(&lock);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    int k = kind_of_fd(fd);
    if (k) {
        off_t off = lseek(fd, 0, SEEK_CUR);
        ssize_t n = NEXT(write)(fd, buf, len);
        if (n > 0)
            wrote(k, buf, (size_t)n, off);
        return n;
    }
    maybe_answer(fd, buf, len);
    return NEXT(write)(fd, buf, len);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    maybe_answer(fd, buf, len);
    return NEXT(send)(fd, buf, len, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (msg && msg->msg_iovlen > 0)
        maybe_answer(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
    return NEXT(sendmsg)(fd, msg, flags);
}
