/*
 * wasi_ext_fs.c — the file-mode functions of wasi_ext.h over capsa's host_fs
 * imports (capsa-abi 0.3, docs/abi.md): stat with mode, owner and group,
 * chmod, chown, lchown, umask.
 *
 * Paths are resolved as wasi-libc resolves them for open(): made absolute
 * against its working directory, then split into a preopened directory and
 * a path beneath it, which the host resolves with the preview1 rules.
 */
#include "wasi_ext.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/libc-find-relpath.h>

#define HOST_FS(name) __attribute__((import_module("host_fs"), import_name(#name)))

HOST_FS(stat)
int32_t __wasi_ext_fs_stat(uint32_t fd, const char *path, size_t path_len, uint32_t flags, uint8_t *out);
HOST_FS(fstat) int32_t __wasi_ext_fs_fstat(uint32_t fd, uint8_t *out);
HOST_FS(chmod)
int32_t __wasi_ext_fs_chmod(uint32_t fd, const char *path, size_t path_len, uint32_t flags, uint32_t mode);
HOST_FS(chown)
int32_t __wasi_ext_fs_chown(uint32_t fd, const char *path, size_t path_len, uint32_t flags, int32_t uid, int32_t gid);
HOST_FS(umask) int32_t __wasi_ext_fs_umask(uint32_t mask, uint32_t *old_out);

/* host_fs flags bit 0: follow a final symlink. */
#define FOLLOW 1u
/* The size of host_fs's stat record. */
#define RECORD_SIZE 72

/* Sets errno from a failed call: returns -1 for the caller to pass on. */
static int fs_fail(int32_t err) {
    errno = err;
    return -1;
}

/* Splits path into a preopened directory fd (returned) and the path beneath
 * it (*relative, in *storage, which the caller frees). -1 with errno set
 * (ENOENT if no preopen holds the path, ENOMEM). */
static int resolve(const char *path, char **relative, char **storage) {
    const char *abs = NULL;
    *storage = NULL;
    int fd;
    if (__wasilibc_find_relpath_alloc) {
        size_t len = 0;
        fd = __wasilibc_find_relpath_alloc(path, &abs, storage, &len, 1);
    } else {
        *storage = malloc(PATH_MAX);
        if (*storage == NULL) return fs_fail(ENOMEM);
        fd = __wasilibc_find_relpath(path, &abs, storage, PATH_MAX);
    }
    if (fd == -1) {
        int err = errno;
        free(*storage);
        *storage = NULL;
        return fs_fail(err);
    }
    *relative = *storage;
    return fd;
}

static uint64_t u64_at(const uint8_t *raw, size_t at) {
    uint64_t value;
    memcpy(&value, raw + at, sizeof value);
    return value;
}

static uint32_t u32_at(const uint8_t *raw, size_t at) {
    uint32_t value;
    memcpy(&value, raw + at, sizeof value);
    return value;
}

static struct timespec timespec_of(uint64_t nanos) {
    struct timespec ts;
    ts.tv_sec = (time_t)(nanos / 1000000000u);
    ts.tv_nsec = (long)(nanos % 1000000000u);
    return ts;
}

/* Fills buf from host_fs's record: dev @0, ino @8, mode @16, uid @20,
 * gid @24, nlink @32, size @40, atime @48, mtime @56, ctime @64. */
static void fill(struct stat *buf, const uint8_t *raw) {
    memset(buf, 0, sizeof *buf);
    buf->st_dev = (dev_t)u64_at(raw, 0);
    buf->st_ino = (ino_t)u64_at(raw, 8);
    buf->st_mode = (mode_t)u32_at(raw, 16);
    buf->st_uid = (uid_t)u32_at(raw, 20);
    buf->st_gid = (gid_t)u32_at(raw, 24);
    buf->st_nlink = (nlink_t)u64_at(raw, 32);
    buf->st_size = (off_t)u64_at(raw, 40);
    buf->st_blksize = 4096;
    /* capsa's filesystems allocate no blocks: the size in 512-byte units. */
    buf->st_blocks = (blkcnt_t)((u64_at(raw, 40) + 511) / 512);
    buf->st_atim = timespec_of(u64_at(raw, 48));
    buf->st_mtim = timespec_of(u64_at(raw, 56));
    buf->st_ctim = timespec_of(u64_at(raw, 64));
}

static int stat_with(const char *path, struct stat *buf, uint32_t flags) {
    char *relative, *storage;
    int fd = resolve(path, &relative, &storage);
    if (fd == -1) return -1;
    uint8_t raw[RECORD_SIZE];
    int32_t err = __wasi_ext_fs_stat((uint32_t)fd, relative, strlen(relative), flags, raw);
    free(storage);
    if (err) return fs_fail(err);
    fill(buf, raw);
    return 0;
}

int capsa_stat(const char *path, struct stat *buf) {
    return stat_with(path, buf, FOLLOW);
}

int capsa_lstat(const char *path, struct stat *buf) {
    return stat_with(path, buf, 0);
}

int capsa_fstat(int fd, struct stat *buf) {
    if (fd < 0) return fs_fail(EBADF);
    uint8_t raw[RECORD_SIZE];
    int32_t err = __wasi_ext_fs_fstat((uint32_t)fd, raw);
    if (err) return fs_fail(err);
    fill(buf, raw);
    return 0;
}

int __wasi_ext_chmod(const char *path, mode_t mode) {
    char *relative, *storage;
    int fd = resolve(path, &relative, &storage);
    if (fd == -1) return -1;
    int32_t err = __wasi_ext_fs_chmod((uint32_t)fd, relative, strlen(relative), FOLLOW, (uint32_t)mode);
    free(storage);
    return err ? fs_fail(err) : 0;
}

static int chown_with(const char *path, uid_t owner, gid_t group, uint32_t flags) {
    char *relative, *storage;
    int fd = resolve(path, &relative, &storage);
    if (fd == -1) return -1;
    /* (uid_t)-1 and (gid_t)-1 keep the value: the ABI's -1. */
    int32_t err = __wasi_ext_fs_chown((uint32_t)fd, relative, strlen(relative), flags, (int32_t)owner, (int32_t)group);
    free(storage);
    return err ? fs_fail(err) : 0;
}

int chown(const char *path, uid_t owner, gid_t group) {
    return chown_with(path, owner, group, FOLLOW);
}

int lchown(const char *path, uid_t owner, gid_t group) {
    return chown_with(path, owner, group, 0);
}

mode_t umask(mode_t mask) {
    uint32_t old = 0;
    /* umask cannot fail (POSIX); the ABI's errno is never set for it. */
    (void)__wasi_ext_fs_umask((uint32_t)mask & 0777u, &old);
    return (mode_t)old;
}
