/* Address text to a sockaddr, for both parts of the addon (raw_socket.c, echo_set.c). */
#ifndef MESHPROBE_SOCKADDR_H
#define MESHPROBE_SOCKADDR_H
#include <sys/socket.h>

/*
 * Parses "1.2.3.4" (family AF_INET), "::1" or "fe80::1%eth0" (AF_INET6; the zone a name or an
 * index), or either when family is AF_UNSPEC, with `port`. Returns 0 when the text is not an
 * address of the family.
 */
int parse_sockaddr(int family, const char *text, int port, struct sockaddr_storage *ss, socklen_t *len);
#endif
