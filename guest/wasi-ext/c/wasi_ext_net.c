/*
 * wasi_ext_net.c — sockets and name resolution for wasi-libc programs, over
 * capsa's `host_net` imports (capsa-abi 0.4, docs/abi.md). See wasi_ext.h.
 *
 * The ABI's address records are laid out as wasi-libc's sockaddr_in and
 * sockaddr_in6, so addresses pass through unchanged.
 */
#include "wasi_ext.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HOST_NET(name) __attribute__((import_module("host_net"), import_name(#name)))

HOST_NET(net_socket) int32_t __host_net_socket(uint32_t family, uint32_t type, uint32_t protocol, uint32_t flags,
                                                uint32_t *fd_out);
HOST_NET(net_bind) int32_t __host_net_bind(uint32_t fd, const void *addr, uint32_t len);
HOST_NET(net_listen) int32_t __host_net_listen(uint32_t fd, uint32_t backlog);
HOST_NET(net_accept) int32_t __host_net_accept(uint32_t fd, uint32_t flags, uint32_t *fd_out, void *addr,
                                                uint32_t addr_len, uint32_t *addr_len_out);
HOST_NET(net_connect) int32_t __host_net_connect(uint32_t fd, const void *addr, uint32_t len);
HOST_NET(net_sendto) int32_t __host_net_sendto(uint32_t fd, const void *buf, uint32_t len, uint32_t flags,
                                                const void *addr, uint32_t addr_len, uint32_t *sent_out);
HOST_NET(net_recvfrom) int32_t __host_net_recvfrom(uint32_t fd, void *buf, uint32_t len, uint32_t flags,
                                                    uint32_t *received_out, void *addr, uint32_t addr_len,
                                                    uint32_t *addr_len_out);
HOST_NET(net_getsockname) int32_t __host_net_getsockname(uint32_t fd, void *buf, uint32_t len, uint32_t *len_out);
HOST_NET(net_getpeername) int32_t __host_net_getpeername(uint32_t fd, void *buf, uint32_t len, uint32_t *len_out);
HOST_NET(net_setsockopt) int32_t __host_net_setsockopt(uint32_t fd, uint32_t option, uint32_t value);
HOST_NET(net_getaddrinfo) int32_t __host_net_getaddrinfo(const char *name, uint32_t name_len, uint32_t family,
                                                          void *buf, uint32_t count, uint32_t *count_out);

/* The ABI's record size (sockaddr_in6) and flag values. */
#define ADDR_SIZE 32
#define NET_NONBLOCK 1
#define OPT_REUSEADDR 1
#define ABI_PEEK 0x1
#define ABI_WAITALL 0x2
#define MAX_LOOKUP 16

static int fail(int32_t err) {
    if (err == 0) return 0;
    errno = err;
    return -1;
}

/* wasi-libc's MSG_PEEK and MSG_WAITALL are preview1's riflags (1, 2), the
 * ABI's values too. */
static int recv_flags(int flags, uint32_t *out) {
    if (flags & ~(MSG_PEEK | MSG_WAITALL | MSG_DONTWAIT)) return -1;
    *out = (uint32_t)flags;
    return 0;
}

int socket(int domain, int type, int protocol) {
    uint32_t flags = (type & SOCK_NONBLOCK) ? NET_NONBLOCK : 0;
    type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    uint32_t fd;
    if (domain < 0 || type < 0 || protocol < 0) return fail(EINVAL);
    if (fail(__host_net_socket((uint32_t)domain, (uint32_t)type, (uint32_t)protocol, flags, &fd))) return -1;
    return (int)fd;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    return fail(__host_net_bind((uint32_t)fd, addr, len));
}

int listen(int fd, int backlog) {
    return fail(__host_net_listen((uint32_t)fd, backlog < 0 ? 0 : (uint32_t)backlog));
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    return fail(__host_net_connect((uint32_t)fd, addr, len));
}

/* Copies a record into the caller's (addr, *len) as POSIX does. */
static void give_addr(const unsigned char *raw, uint32_t raw_len, struct sockaddr *addr, socklen_t *len) {
    if (!addr || !len) return;
    memcpy(addr, raw, raw_len < *len ? raw_len : *len);
    *len = raw_len;
}

int __wasi_ext_accept4(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len, int flags) {
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return fail(EINVAL);
    unsigned char raw[ADDR_SIZE];
    uint32_t new_fd, raw_len;
    uint32_t abi_flags = (flags & SOCK_NONBLOCK) ? NET_NONBLOCK : 0;
    if (fail(__host_net_accept((uint32_t)fd, abi_flags, &new_fd, raw, ADDR_SIZE, &raw_len))) return -1;
    give_addr(raw, raw_len, addr, len);
    return (int)new_fd;
}

int __wasi_ext_accept(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    return __wasi_ext_accept4(fd, addr, len, 0);
}

static int name_of(int32_t (*call)(uint32_t, void *, uint32_t, uint32_t *), int fd, struct sockaddr *addr,
                   socklen_t *len) {
    unsigned char raw[ADDR_SIZE];
    uint32_t raw_len;
    if (!addr || !len) return fail(EFAULT);
    if (fail(call((uint32_t)fd, raw, ADDR_SIZE, &raw_len))) return -1;
    give_addr(raw, raw_len, addr, len);
    return 0;
}

int getsockname(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    return name_of(__host_net_getsockname, fd, addr, len);
}

int getpeername(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    return name_of(__host_net_getpeername, fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t addr_len) {
    uint32_t sent;
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) return fail(EOPNOTSUPP);
    if (!addr) addr_len = 0;
    if (fail(__host_net_sendto((uint32_t)fd, buf, len, (uint32_t)flags, addr, addr_len, &sent))) return -1;
    return (ssize_t)sent;
}

ssize_t __wasi_ext_send(int fd, const void *buf, size_t len, int flags) {
    return sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t recvfrom(int fd, void *__restrict buf, size_t len, int flags, struct sockaddr *__restrict addr,
                 socklen_t *__restrict addr_len) {
    unsigned char raw[ADDR_SIZE];
    uint32_t got, raw_len, abi_flags;
    if (recv_flags(flags, &abi_flags)) return fail(EOPNOTSUPP);
    if (fail(__host_net_recvfrom((uint32_t)fd, buf, len, abi_flags, &got, raw, ADDR_SIZE, &raw_len))) return -1;
    if (raw_len) give_addr(raw, raw_len, addr, addr_len);
    else if (addr_len) *addr_len = 0;
    return (ssize_t)got;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
    if (level != SOL_SOCKET || name != SO_REUSEADDR) return fail(ENOPROTOOPT);
    if (!value || len < sizeof(int)) return fail(EINVAL);
    return fail(__host_net_setsockopt((uint32_t)fd, OPT_REUSEADDR, *(const int *)value != 0));
}

/* ---- getaddrinfo */

/* One result: the addrinfo and its address in one allocation. */
struct entry {
    struct addrinfo info;
    struct sockaddr_in6 addr;
};

static int service_port(const char *service, int flags, uint16_t *port) {
    if (!service) {
        *port = 0;
        return 0;
    }
    char *end;
    unsigned long value = strtoul(service, &end, 10);
    if (*service && !*end && value <= 65535) {
        *port = (uint16_t)value;
        return 0;
    }
    if (flags & AI_NUMERICSERV) return EAI_NONAME;
    if (!strcmp(service, "http")) *port = 80;
    else if (!strcmp(service, "https")) *port = 443;
    else return EAI_SERVICE;
    return 0;
}

static int add_entry(struct addrinfo ***tail, const unsigned char *raw, uint16_t port, int socktype) {
    struct entry *e = calloc(1, sizeof *e);
    if (!e) return EAI_MEMORY;
    uint16_t family;
    memcpy(&family, raw, 2);
    memcpy(&e->addr, raw, ADDR_SIZE);
    e->addr.sin6_port = htons(port);
    e->info.ai_family = family;
    e->info.ai_socktype = socktype;
    e->info.ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    e->info.ai_addrlen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    e->info.ai_addr = (struct sockaddr *)&e->addr;
    **tail = &e->info;
    *tail = &e->info.ai_next;
    return 0;
}

int getaddrinfo(const char *__restrict node, const char *__restrict service, const struct addrinfo *__restrict hints,
                struct addrinfo **__restrict res) {
    int family = hints ? hints->ai_family : AF_UNSPEC;
    int socktype = hints ? hints->ai_socktype : 0;
    int flags = hints ? hints->ai_flags : 0;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) return EAI_FAMILY;
    if (socktype != 0 && socktype != SOCK_STREAM && socktype != SOCK_DGRAM) return EAI_SOCKTYPE;
    if (!node && !service) return EAI_NONAME;
    uint16_t port;
    int err = service_port(service, flags, &port);
    if (err) return err;

    unsigned char raw[MAX_LOOKUP][ADDR_SIZE];
    uint32_t found = 0;
    if (node) {
        int32_t e = __host_net_getaddrinfo(node, strlen(node), (uint32_t)family, raw, MAX_LOOKUP, &found);
        if (e == ENOENT) return EAI_NONAME;
        if (e == EINVAL) return EAI_NONAME;
        if (e) {
            errno = e;
            return EAI_SYSTEM;
        }
        if (found > MAX_LOOKUP) found = MAX_LOOKUP;
    } else {
        /* No node: the unspecified address to bind (AI_PASSIVE) or loopback. */
        const char *literal = (flags & AI_PASSIVE) ? (family == AF_INET6 ? "::" : "0.0.0.0")
                                                   : (family == AF_INET6 ? "::1" : "127.0.0.1");
        if (fail(__host_net_getaddrinfo(literal, strlen(literal), 0, raw, 1, &found))) return EAI_SYSTEM;
        found = 1;
    }

    struct addrinfo *head = NULL, **tail = &head;
    for (uint32_t i = 0; i < found; i++) {
        for (int type = SOCK_DGRAM; type <= SOCK_STREAM; type++) {
            if (socktype && type != socktype) continue;
            err = add_entry(&tail, raw[i], port, type);
            if (err) {
                freeaddrinfo(head);
                return err;
            }
        }
    }
    *res = head;
    return 0;
}

void freeaddrinfo(struct addrinfo *res) {
    while (res) {
        struct addrinfo *next = res->ai_next;
        free(res); /* the addrinfo is the first member of its entry */
        res = next;
    }
}

const char *gai_strerror(int err) {
    switch (err) {
    case 0: return "Success";
    case EAI_BADFLAGS: return "Invalid flags";
    case EAI_NONAME: return "Name does not resolve";
    case EAI_AGAIN: return "Try again";
    case EAI_FAIL: return "Non-recoverable error";
    case EAI_FAMILY: return "Unrecognized address family or invalid length";
    case EAI_SOCKTYPE: return "Unrecognized socket type";
    case EAI_SERVICE: return "Unrecognized service";
    case EAI_MEMORY: return "Out of memory";
    case EAI_SYSTEM: return "System error";
    case EAI_OVERFLOW: return "Overflow";
    default: return "Unknown error";
    }
}
