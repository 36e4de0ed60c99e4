/*
 * Hostile, in C through plain libc: tries to get out of its grants every way
 * a C program would, and checks it is refused with the right errno.
 *
 * Host: grants /scratch (read-write, holding only the host's links host-abs
 * and host-rel, which lead out of it) and /ro (read-only, holding
 * data.txt), a 256 MiB memory limit, no environment. Prints "ok" last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

/* Expects `call` to fail with `err`. */
#define FAILS_WITH(call, err)                                                                         \
    do {                                                                                              \
        errno = 0;                                                                                    \
        long r_ = (long)(call);                                                                       \
        if (r_ != -1 || errno != (err)) {                                                             \
            fprintf(stderr, "%s:%d: %s gave %ld (errno %d: %s), wanted errno %d\n", __FILE__, __LINE__, \
                    #call, r_, errno, strerror(errno), (err));                                        \
            exit(1);                                                                                  \
        }                                                                                             \
    } while (0)

/* Reads a whole file into buf; -1 with errno on failure. */
static long slurp(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    long len = read(fd, buf, size - 1);
    close(fd);
    if (len >= 0) buf[len] = 0;
    return len;
}

int main(void) {
    char buf[4096];

    /* `..` out of a mount: refused beneath the mount's preopen. */
    FAILS_WITH(slurp("/scratch/../../../../etc/shadow", buf, sizeof buf), EPERM);

    /* A symlink leading out of the mount is never made on the host... */
    FAILS_WITH(symlink("/etc/passwd", "/scratch/abs"), EPERM);
    FAILS_WITH(symlink("../../../../../../etc/passwd", "/scratch/rel"), EPERM);
    /* ...and one the host made is refused through the mount. */
    FAILS_WITH(slurp("/scratch/host-abs", buf, sizeof buf), EPERM);
    FAILS_WITH(slurp("/scratch/host-rel", buf, sizeof buf), EPERM);

    /* The VM's own files are not the host's. */
    CHECK(slurp("/etc/passwd", buf, sizeof buf) > 0);
    CHECK(strstr(buf, "user:x:1000:1000:user:/home/user:/bin/sh") != NULL);
    printf("passwd %zu bytes\n", strlen(buf));
    FAILS_WITH(open("/proc/self/environ", O_RDONLY), ENOENT);
    FAILS_WITH(open("/proc/1/root", O_RDONLY), ENOENT);
    FAILS_WITH(open("/sys/kernel", O_RDONLY), ENOENT);
    FAILS_WITH(open("/home/user/.ssh/id_rsa", O_RDONLY), ENOENT);

    /* No environment was granted: none is visible. */
    CHECK(environ == NULL || environ[0] == NULL);
    CHECK(getenv("HOME") == NULL && getenv("PATH") == NULL);

    /* Every write through the read-only mount is EROFS. */
    CHECK(slurp("/ro/data.txt", buf, sizeof buf) > 0);
    FAILS_WITH(open("/ro/new.txt", O_CREAT | O_WRONLY, 0644), EROFS);
    FAILS_WITH(open("/ro/data.txt", O_WRONLY), EROFS);
    FAILS_WITH(open("/ro/data.txt", O_RDONLY | O_TRUNC), EROFS);
    FAILS_WITH(truncate("/ro/data.txt", 0), EROFS);
    FAILS_WITH(unlink("/ro/data.txt"), EROFS);
    FAILS_WITH(mkdir("/ro/d", 0755), EROFS);
    FAILS_WITH(rename("/ro/data.txt", "/ro/moved.txt"), EROFS);
    FAILS_WITH(symlink("x", "/ro/link"), EROFS);
    CHECK(close(open("/scratch/mine", O_CREAT | O_WRONLY, 0644)) == 0);
    FAILS_WITH(rename("/scratch/mine", "/ro/data.txt"), EXDEV);
    FAILS_WITH(link("/scratch/mine", "/ro/hard"), EXDEV);
    FAILS_WITH(link("/scratch/mine", "/tmp/hard"), EXDEV);

    /* Descriptors that were never opened, or closed. */
    FAILS_WITH(read(100, buf, 1), EBADF);
    FAILS_WITH(write(4711, "x", 1), EBADF);
    struct stat st;
    FAILS_WITH(fstat(-1, &st), EBADF);
    int fd = open("/scratch/mine", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
    FAILS_WITH(read(fd, buf, 1), EBADF);
    FAILS_WITH(close(fd), EBADF);

    /* Exhausting memory fails inside the guest, with NULL, not a host crash. */
    /* The blocks escape into a global, or the compiler deletes the allocations. */
    static char *volatile blocks[64];
    size_t got = 0, count = 0;
    for (;;) {
        char *p = malloc(16 << 20);
        if (p == NULL) break;
        memset(p, (int)count, 16 << 20);
        CHECK(count < 64);
        blocks[count++] = p;
        got += 16;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < count; i++) sum += (unsigned char)blocks[i][(16 << 20) - 1];
    printf("malloc: %zu MiB (check %u)\n", got, sum);
    CHECK(got >= 128);
    for (size_t i = 0; i < count; i++) free(blocks[i]);

    /* Thousands of opens: EMFILE, then everything still works. */
    int opened = 0;
    for (;;) {
        int f = open("/dev/null", O_RDONLY);
        if (f < 0) {
            CHECK(errno == EMFILE);
            break;
        }
        opened++;
        CHECK(opened < 100000);
    }
    printf("opened %d fds\n", opened);
    for (int f = 5; f < 5 + opened; f++) close(f);
    CHECK(slurp("/ro/data.txt", buf, sizeof buf) > 0);

    puts("ok");
    return 0;
}
