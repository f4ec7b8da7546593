/* See sockaddr.h. */
#include "sockaddr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_sockaddr(int family, const char *text, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family != AF_INET6) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, text, &a->sin_addr) == 1) {
      a->sin_family = AF_INET;
      a->sin_port = htons((uint16_t)port);
      *len = sizeof *a;
      return 1;
    }
    if (family == AF_INET) return 0;
  }
  {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    char *pct;
    snprintf(host, sizeof host, "%s", text);
    pct = strchr(host, '%');
    if (pct) {
      *pct = 0;
      a->sin6_scope_id = if_nametoindex(pct + 1);
      if (a->sin6_scope_id == 0) a->sin6_scope_id = (uint32_t)strtoul(pct + 1, NULL, 10);
      if (a->sin6_scope_id == 0) return 0;
    }
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return 0;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    *len = sizeof *a;
    return 1;
  }
}
