/*
 * The C bindings of host_fs (wasi_ext.h, c/wasi_ext_fs.c) end to end:
 * capsa_stat/lstat/fstat with modes, owners and groups, umask applied to
 * new files, chmod (and its EINVAL/EPERM), chown and lchown as the default
 * user and, with argv[1] = "root", as root, relative paths after chdir.
 * Prints "ok" last.
 */
#include <wasi_ext.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A call that must fail with err. */
#define FAILS_WITH(call, err) \
    do {                      \
        errno = 0;            \
        CHECK((call) == -1);  \
        CHECK(errno == (err)); \
    } while (0)

int main(int argc, char **argv) {
    int as_root = argc > 1 && strcmp(argv[1], "root") == 0;
    uid_t me = getuid();
    CHECK(me == (as_root ? 0u : 1000u));
    struct stat st;

    /* The VM's own files: root's, 0644; /tmp is 01777. */
    CHECK(capsa_stat("/etc/passwd", &st) == 0);
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
    CHECK(st.st_uid == 0 && st.st_gid == 0 && st.st_nlink == 1 && st.st_size > 0);
    CHECK(st.st_blocks == (st.st_size + 511) / 512);
    CHECK(capsa_stat("/tmp", &st) == 0);
    CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 01777);

    /* New files get 0666 & ~umask, owned by their creator. */
    CHECK(umask(077) == 022);
    int fd = open("/tmp/private", O_WRONLY | O_CREAT | O_EXCL, 0666);
    CHECK(fd >= 0);
    CHECK(capsa_fstat(fd, &st) == 0);
    CHECK((st.st_mode & 07777) == 0600 && st.st_uid == me);
    CHECK(close(fd) == 0);
    CHECK(umask(022) == 077);
    CHECK(mkdir("/tmp/dir", 0777) == 0);
    CHECK(capsa_stat("/tmp/dir", &st) == 0);
    CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);

    /* chmod, also through a relative path and a symlink. */
    CHECK(chmod("/tmp/private", 0751) == 0);
    CHECK(capsa_stat("/tmp/private", &st) == 0);
    CHECK((st.st_mode & 07777) == 0751);
    FAILS_WITH(chmod("/tmp/private", 010000), EINVAL);
    FAILS_WITH(chmod("/tmp/missing", 0644), ENOENT);
    CHECK(symlink("private", "/tmp/link") == 0);
    CHECK(chdir("/tmp") == 0);
    CHECK(chmod("link", 0640) == 0);
    CHECK(capsa_stat("private", &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    ino_t target = st.st_ino;
    CHECK(capsa_lstat("link", &st) == 0);
    CHECK(S_ISLNK(st.st_mode) && st.st_ino != target);
    CHECK(capsa_stat("link", &st) == 0);
    CHECK(S_ISREG(st.st_mode) && st.st_ino == target);
    FAILS_WITH(capsa_stat("missing", &st), ENOENT);
    FAILS_WITH(capsa_fstat(-1, &st), EBADF);

    /* Owners: (uid_t)-1 keeps a value; giving files away is root's. */
    CHECK(chown("private", (uid_t)-1, (gid_t)-1) == 0);
    CHECK(chown("private", me, getgid()) == 0);
    if (as_root) {
        CHECK(chown("private", 1000, 1000) == 0);
        CHECK(capsa_stat("private", &st) == 0);
        CHECK(st.st_uid == 1000 && st.st_gid == 1000);
        CHECK(lchown("link", 65534, 65534) == 0);
        CHECK(capsa_lstat("link", &st) == 0);
        CHECK(st.st_uid == 65534 && st.st_gid == 65534);
        CHECK(capsa_stat("link", &st) == 0);
        CHECK(st.st_uid == 1000);
        CHECK(chmod("/etc/passwd", 0600) == 0);
        CHECK(capsa_stat("/etc/passwd", &st) == 0);
        CHECK((st.st_mode & 07777) == 0600);
    } else {
        FAILS_WITH(chown("private", 0, (gid_t)-1), EPERM);
        FAILS_WITH(lchown("link", 0, 0), EPERM);
        FAILS_WITH(chmod("/etc/passwd", 0666), EPERM);
        FAILS_WITH(capsa_stat("/root/x", &st), EACCES);
    }

    /* An open file's status. */
    fd = open("/etc/group", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(capsa_fstat(fd, &st) == 0);
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_uid == 0);
    CHECK(close(fd) == 0);
    printf("ok\n");
    return 0;
}
