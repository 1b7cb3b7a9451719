/* store/changes.c - the change counter that processes on one SQLite file share.
 *
 * Processes on one PostgreSQL database hear each other's announcements (store.h's
 * listener); processes on one SQLite file have no such channel. What they need of it is
 * small: whether anything that a process may keep in memory (an install, a tenant's
 * settings) was changed by another since it last looked. That is one counter, in a file
 * beside the store's ("PATH-changes", as SQLite keeps its own shared memory in "PATH-shm"),
 * mapped by every process and moved with an atomic add after each such change commits.
 * Reading it costs a load from memory, so every webhook can afford a look. */
#include "store/store_int.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the counter is shared between processes");

#define CHANGES_SIZE 4096 /* one page; the counter is its first 8 bytes */

struct store_changes {
    _Atomic unsigned long long *count; /* in the mapped page */
};

int store_changes_open(const char *db_path, struct store_changes **out, struct error *err)
{
    char path[4096];
    struct stat db, st;
    *out = NULL;
    if (snprintf(path, sizeof path, "%s-changes", db_path) >= (int)sizeof path)
        return error_set(err, ERR_CONFIG, "the store's path is too long");
    /* Readable by whoever may read the store, as SQLite's own files beside it. */
    mode_t mode = stat(db_path, &db) == 0 ? (db.st_mode & 0666) : 0600;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0)
        return error_set(err, ERR_STORE, "cannot open %s", path);
    /* Processes starting together may both extend it: to the same size, with zeros. Its
     * page is allocated now, not at the first touch of the mapping: a full disk then
     * would be a SIGBUS in whatever thread touched it. */
    int rc = fstat(fd, &st) < 0 ? -1 : 0;
    if (rc == 0 && st.st_size < CHANGES_SIZE)
        rc = ftruncate(fd, CHANGES_SIZE);
    if (rc == 0)
        rc = posix_fallocate(fd, 0, CHANGES_SIZE) == 0 ? 0 : -1;
    if (rc < 0) {
        close(fd);
        return error_set(err, ERR_STORE, "cannot make room for %s", path);
    }
    void *page = mmap(NULL, CHANGES_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (page == MAP_FAILED)
        return error_set(err, ERR_STORE, "cannot map %s", path);
    struct store_changes *c = malloc(sizeof *c);
    if (!c) {
        munmap(page, CHANGES_SIZE);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    c->count = page;
    *out = c;
    return 0;
}

void store_changes_close(struct store_changes *c)
{
    if (!c)
        return;
    munmap((void *)c->count, CHANGES_SIZE);
    free(c);
}

void store_changes_bump(struct store_changes *c)
{
    atomic_fetch_add_explicit(c->count, 1, memory_order_release);
}

uint64_t store_changes_count(const struct store_changes *c)
{
    return atomic_load_explicit(c->count, memory_order_acquire);
}
