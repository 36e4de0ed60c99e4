/*
 * wasi_ext.h — POSIX process, pipe, user and file-mode functions for C
 * programs built for wasm32-wasi (wasi-libc) that run inside capsa.
 *
 * wasi-libc has no processes, pipes, fd duplication, users or file modes:
 * it leaves out posix_spawn, waitpid, pipe, dup, kill, getuid, getpwuid,
 * chown and friends, and its stat and chmod know no modes. This header
 * declares them, with their POSIX names and meanings, and c/wasi_ext.c and
 * c/wasi_ext_fs.c implement them over capsa's `host_process`, `host_user`
 * and `host_fs` imports (capsa-abi 0.3, docs/abi.md). Compile both into the
 * program and put this directory on the include path:
 *
 *     clang --target=wasm32-wasi -I guest/wasi-ext/include \
 *         prog.c guest/wasi-ext/c/wasi_ext.c guest/wasi-ext/c/wasi_ext_fs.c -o prog.wasm
 *
 * What wasi-libc already provides is not redefined here: isatty (through
 * fd_fdstat_get), sleep, usleep, nanosleep, getcwd, chdir, and for sockets
 * recv, shutdown and poll (over preview1's sock_recv, sock_shutdown and
 * poll_oneoff, which capsa implements on its sockets).
 *
 * Sockets (c/wasi_ext_net.c, over `host_net`, capsa-abi 0.4): socket, bind,
 * listen, connect, getsockname, getpeername, sendto, recvfrom, setsockopt
 * (wasi-libc declares them only for WASI preview 2), getaddrinfo,
 * freeaddrinfo and gai_strerror (<netdb.h> here). accept, accept4 and send
 * are macros for __wasi_ext_* versions: wasi-libc's accept never returns
 * the peer's address (and writes through a NULL one), its send refuses
 * every flag; capsa's take MSG_DONTWAIT and MSG_NOSIGNAL.
 *
 * Errors follow POSIX: the posix_spawn family returns an error number;
 * everything else returns -1 (or NULL) and sets errno. wasi-libc's errno
 * values are WASI's, which are what capsa returns, so they compare equal to
 * ENOENT, EACCES, ... as usual.
 *
 * Working directory: WASI has none. wasi-libc keeps its own, starting at "/"
 * in every process. posix_spawn passes the caller's (getcwd) to the child and
 * sets PWD to it in the child's environment, and a constructor in wasi_ext.c
 * chdir()s to $PWD at startup, so a spawned child starts where its parent was.
 *
 * getpid is a macro for __wasi_ext_getpid: wasi-libc's placeholder getpid
 * (always 42) can sit in the toolchain's libc.a, and `zig cc` puts libc.a
 * before the program's objects on the link line, so a definition named
 * getpid would collide with it rather than replace it. chmod is a macro for
 * __wasi_ext_chmod for the same reason (wasi-libc's chmod fails with ENOSYS).
 */
#ifndef WASI_EXT_H
#define WASI_EXT_H

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- signals (Linux numbering, as the ABI uses). <signal.h> defines these
 * only with _WASI_EMULATED_SIGNAL; the values are the same. */
#ifndef SIGKILL
#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGWINCH  28
#endif

/* Sends sig to pid > 0, to the caller's group (0), to group -pid (pid < -1),
 * or to every process the caller may signal but pid 1 (-1). Guests cannot
 * catch signals: SIGCHLD/SIGCONT/SIGURG/SIGWINCH are ignored, the stop
 * signals fail with ENOTSUP, every other signal ends the target.
 * Errors: ESRCH, EPERM, EINVAL, ENOTSUP. */
int kill(pid_t pid, int sig);

/* ---- wait statuses (Linux encoding: exited c is c << 8, killed by s is s).
 * A child that trapped reports SIGABRT; one ended by a capsa limit SIGKILL. */
#ifndef WNOHANG
#define WNOHANG 1
#endif
#ifndef WEXITSTATUS
#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFEXITED(s) (!WTERMSIG(s))
#define WIFSIGNALED(s) (((s) & 0xffff) - 1U < 0xffu)
#endif

/* Waits for child pid > 0 or any child (-1); options 0 or WNOHANG (returns 0
 * if no such child has ended). Returns the child's pid.
 * Errors: ECHILD (no such child), EINVAL (other options; pid 0 or < -1:
 * capsa does not wait by process group). */
pid_t waitpid(pid_t pid, int *status, int options);
/* waitpid(-1, status, 0). */
pid_t wait(int *status);

/* ---- process ids and groups */
/* The caller's pid (see the top of this file for why it is a macro). */
pid_t __wasi_ext_getpid(void);
#define getpid __wasi_ext_getpid
pid_t getppid(void);
pid_t getpgid(pid_t pid);
pid_t getpgrp(void);
/* Moves pid (0: the caller) into group pgid (0: a group of its own). */
int setpgid(pid_t pid, pid_t pgid);

/* ---- pipes and fd duplication */
/* fds[0] is the read end, fds[1] the write end. A pipe buffers 64 KiB; a
 * write with no reader fails with EPIPE, and a second one ends the process
 * by SIGPIPE. */
int pipe(int fds[2]);
int dup(int fd);
int dup2(int fd, int to);

/* ---- users and groups, from the VM's own /etc/passwd and /etc/group */
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);

/* wasi-libc has no <pwd.h> or <grp.h>; these are their POSIX structs. */
struct passwd {
    char *pw_name;
    char *pw_passwd;
    uid_t pw_uid;
    gid_t pw_gid;
    char *pw_gecos;
    char *pw_dir;
    char *pw_shell;
};

struct group {
    char *gr_name;
    char *gr_passwd;
    gid_t gr_gid;
    char **gr_mem;
};

/* Return a static entry (overwritten by the next call), or NULL: with errno
 * unchanged if there is no such entry, set on an error. */
struct passwd *getpwuid(uid_t uid);
struct passwd *getpwnam(const char *name);
struct group *getgrgid(gid_t gid);
/* Reentrant forms: the strings live in buf. Return 0 (with *result NULL if
 * there is no such entry) or an error number (ERANGE: buf is too small). */
int getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result);
int getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result);

/* ---- file modes and owners (host_fs), from c/wasi_ext_fs.c
 *
 * wasi-libc's stat, lstat and fstat fill st_mode with the file type only and
 * st_uid/st_gid with 0 (preview1 has no more); these fill every field of
 * struct stat: device, inode, mode (type and permission bits), owner, group,
 * links, size, times. st_blocks is the size in 512-byte units rounded up
 * (capsa's filesystems allocate no blocks) and st_rdev is 0.
 * Errors: ENOENT, ENOTDIR, EACCES, ELOOP, EBADF (capsa_fstat), ENOMEM. */
int capsa_stat(const char *path, struct stat *buf);
int capsa_lstat(const char *path, struct stat *buf);
int capsa_fstat(int fd, struct stat *buf);

/* Sets the permission bits (at most 07777) of path, following a final
 * symlink. Allowed to the file's owner and to root.
 * Errors: EPERM, EROFS, EINVAL (bits outside 07777), and the lookup's.
 * There is no fchmod: host_fs changes modes by path only (wasi-libc's
 * fchmod stays, failing with ENOSYS). */
int __wasi_ext_chmod(const char *path, mode_t mode);
#define chmod __wasi_ext_chmod

/* Sets the owner and/or group ((uid_t)-1 / (gid_t)-1 keep one). Root may
 * give a file to anyone; the owner may only change the group, to its own.
 * A host file under a --dir grant keeps its host owner: asking for the
 * owner and group capsa shows for it succeeds, anything else is EPERM.
 * lchown changes a final symlink itself. Errors: EPERM, EROFS, and the
 * lookup's. */
int chown(const char *path, uid_t owner, gid_t group);
int lchown(const char *path, uid_t owner, gid_t group);

/* Sets the file-creation mask (applied by open and mkdir) and returns the
 * old one. Spawned children inherit it. */
mode_t umask(mode_t mask);

/* ---- posix_spawn */
struct __wasi_ext_spawn_action;

typedef struct {
    int __count;
    int __capacity;
    struct __wasi_ext_spawn_action *__actions;
} posix_spawn_file_actions_t;

typedef struct {
    short __flags;
    pid_t __pgroup;
} posix_spawnattr_t;

/* POSIX_SPAWN_SETPGROUP is honoured by the parent calling setpgid on the
 * child right after the spawn (as shells do): a child that spawns at once
 * may start a grandchild in the old group first. RESETIDS, SETSIGDEF and
 * SETSIGMASK are accepted and have nothing to do (capsa processes have no
 * separate effective ids, no signal handlers and no signal masks).
 * The scheduling flags are refused (EINVAL). */
#define POSIX_SPAWN_RESETIDS 0x01
#define POSIX_SPAWN_SETPGROUP 0x02
#define POSIX_SPAWN_SETSIGDEF 0x04
#define POSIX_SPAWN_SETSIGMASK 0x08
#define POSIX_SPAWN_SETSCHEDPARAM 0x10
#define POSIX_SPAWN_SETSCHEDULER 0x20

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa);
int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa);
/* In the child, in order: newfd becomes a copy of the child's fildes. */
int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fildes, int newfd);
int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fildes);
/* Opens path in the caller at spawn time (relative to its working
 * directory), gives it to the child as fildes, and closes the caller's copy
 * after the spawn. An open that fails fails the spawn with its errno. */
int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fildes, const char *path, int oflag,
                                     mode_t mode);

int posix_spawnattr_init(posix_spawnattr_t *attr);
int posix_spawnattr_destroy(posix_spawnattr_t *attr);
int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags);
int posix_spawnattr_getflags(const posix_spawnattr_t *attr, short *flags);
int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup);
int posix_spawnattr_getpgroup(const posix_spawnattr_t *attr, pid_t *pgroup);

/* Starts path (a path name: a name without '/' is taken relative to the
 * working directory, never searched in PATH) with argv and envp (NULL: the
 * caller's environ), the caller's working directory, PWD set to it, and the
 * file actions applied to a child fd table that starts as the caller's fds
 * 0, 1, 2 and preopened directories (capsa inherits nothing else).
 * Returns 0 and stores the child's pid, or an error number: ENOENT, EACCES,
 * ENOEXEC, EAGAIN (process limit), E2BIG, EBADF, EINVAL, ENOMEM. */
int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                char *const argv[], char *const envp[]);
/* As posix_spawn, but a file name without '/' is searched in the caller's
 * PATH (default /usr/local/bin:/usr/bin:/bin), as execvp does: ENOENT and
 * ENOTDIR go on to the next entry, EACCES is remembered. */
int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                 char *const argv[], char *const envp[]);

/* ---- sockets (host_net). Address structs are wasi-libc's sockaddr_in and
 * sockaddr_in6, passed through as the ABI's address records. */
#ifndef SO_REUSEADDR
#define SO_REUSEADDR 2
#endif
#ifndef MSG_DONTWAIT
#define MSG_DONTWAIT 0x0040
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0x4000
#endif
#ifndef SOMAXCONN
#define SOMAXCONN 128
#endif

/* domain AF_INET or AF_INET6; type SOCK_STREAM or SOCK_DGRAM, optionally
 * | SOCK_NONBLOCK (SOCK_CLOEXEC is accepted and ignored: there is no exec);
 * protocol 0, IPPROTO_TCP or IPPROTO_UDP. EMFILE past the VM's 256 sockets. */
int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int listen(int fd, int backlog);
/* A connect to an address outside the VM fails with EACCES unless the user
 * granted it (--allow-net). */
int connect(int fd, const struct sockaddr *addr, socklen_t len);
int getsockname(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len);
int getpeername(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t addr_len);
ssize_t recvfrom(int fd, void *__restrict buf, size_t len, int flags, struct sockaddr *__restrict addr,
                 socklen_t *__restrict addr_len);
/* SOL_SOCKET with SO_REUSEADDR (an int); anything else: ENOPROTOOPT. */
int setsockopt(int fd, int level, int name, const void *value, socklen_t len);

#define accept __wasi_ext_accept
#define accept4 __wasi_ext_accept4
#define send __wasi_ext_send
/* addr may be NULL; otherwise at most *len bytes of the peer's address are
 * stored and *len is set to its full length. */
int __wasi_ext_accept(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len);
/* flags: SOCK_NONBLOCK, SOCK_CLOEXEC (ignored). */
int __wasi_ext_accept4(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len, int flags);
/* flags: MSG_DONTWAIT, MSG_NOSIGNAL (EPIPE without the SIGPIPE a second
 * attempt would otherwise bring). */
ssize_t __wasi_ext_send(int fd, const void *buf, size_t len, int flags);

/* ---- name resolution (<netdb.h>). Only address literals, "localhost" and
 * names the user granted resolve (the host resolves granted names; nothing
 * is read from /etc/hosts). service: a decimal port, "http" or "https".
 * hints: ai_family, ai_socktype (0: one entry per type), ai_flags
 * AI_PASSIVE (node NULL: the unspecified address) and AI_NUMERICSERV; other
 * flags are accepted and ignored. A name that is not granted gives
 * EAI_SYSTEM with errno EACCES. */
struct addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    socklen_t ai_addrlen;
    struct sockaddr *ai_addr;
    char *ai_canonname;
    struct addrinfo *ai_next;
};
#define AI_PASSIVE 0x01
#define AI_CANONNAME 0x02
#define AI_NUMERICHOST 0x04
#define AI_V4MAPPED 0x08
#define AI_ALL 0x10
#define AI_ADDRCONFIG 0x20
#define AI_NUMERICSERV 0x400
#define EAI_BADFLAGS -1
#define EAI_NONAME -2
#define EAI_AGAIN -3
#define EAI_FAIL -4
#define EAI_FAMILY -6
#define EAI_SOCKTYPE -7
#define EAI_SERVICE -8
#define EAI_MEMORY -10
#define EAI_SYSTEM -11
#define EAI_OVERFLOW -12
int getaddrinfo(const char *__restrict node, const char *__restrict service, const struct addrinfo *__restrict hints,
                struct addrinfo **__restrict res);
void freeaddrinfo(struct addrinfo *res);
const char *gai_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* WASI_EXT_H */
