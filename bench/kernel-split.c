/*
 * kernel-split: splits a loopback ICMP echo round trip at the kernel's transmit stamp, for
 * bench/ping-breakdown.ts. It pings as iputils does (a raw socket, the clock read right before
 * sendmsg, SO_TIMESTAMPNS on the reply) and also asks for the software transmit timestamp
 * (SO_TIMESTAMPING, taken where the loopback driver sends the request), so a round trip reads as
 *
 *   user stamp ─(syscall entry, IP output)→ TX stamp ─(request received, reply built)→ RX stamp
 *
 * Usage: kernel-split COUNT INTERVAL_US ADDRESS [sleep|spin]   (root; one JSON line of medians, µs)
 *   sleep (default): waits in nanosleep, so the CPU may idle between probes (as meshprobe's
 *   event loop does); spin: waits as iputils ping does below a 10 ms interval, calling
 *   sched_yield() and recvmsg(MSG_DONTWAIT) until the next probe is due, so it never idles.
 * Not part of the product: built by the bench with the system C compiler when it runs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t ns_of(struct timespec ts) { return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec; }

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ns_of(ts);
}

static uint16_t csum(const void *p, size_t n) {
  const uint16_t *w = p;
  uint32_t s = 0;
  for (; n > 1; n -= 2) s += *w++;
  if (n) s += *(const uint8_t *)w;
  s = (s >> 16) + (s & 0xffff);
  s += s >> 16;
  return (uint16_t)~s;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static double median_us(int64_t *v, int n) {
  if (n == 0) return -1;
  qsort(v, (size_t)n, sizeof *v, cmp);
  return (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000.0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: kernel-split COUNT INTERVAL_US ADDRESS\n");
    return 2;
  }
  int count = atoi(argv[1]);
  int spin = argc > 4 && strcmp(argv[4], "spin") == 0;
  long gap_us = atol(argv[2]);
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, argv[3], &to.sin_addr) != 1) return 2;
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  int ts = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof ts) != 0) {
    perror("SO_TIMESTAMPING");
    return 1;
  }
  int64_t *to_tx = calloc((size_t)count, sizeof(int64_t)), *tx_rx = calloc((size_t)count, sizeof(int64_t)),
          *rtt = calloc((size_t)count, sizeof(int64_t)), *sys = calloc((size_t)count, sizeof(int64_t));
  int n = 0;
  uint16_t id = (uint16_t)getpid();
  for (int i = 0; i < count; i++) {
    if (gap_us > 0 && spin) {
      int64_t due = now_ns() + gap_us * 1000LL;
      unsigned char junk[2048];
      while (now_ns() < due) {
        sched_yield();
        (void)recv(fd, junk, sizeof junk, MSG_DONTWAIT);
      }
    } else if (gap_us > 0) {
      struct timespec d = {gap_us / 1000000, (gap_us % 1000000) * 1000};
      nanosleep(&d, NULL);
    }
    unsigned char pkt[64] = {0};
    struct icmphdr *h = (struct icmphdr *)pkt;
    h->type = ICMP_ECHO;
    h->un.echo.id = htons(id);
    h->un.echo.sequence = htons((uint16_t)i);
    for (int k = 8; k < 64; k++) pkt[k] = (unsigned char)k;
    h->checksum = csum(pkt, sizeof pkt);
    int64_t user = now_ns();
    if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0) {
      perror("sendto");
      return 1;
    }
    int64_t ret = now_ns();
    int64_t tx = 0, rx = 0;
    int64_t deadline = ret + 200000000LL;
    while ((!tx || !rx) && now_ns() < deadline) {
      struct pollfd p = {fd, POLLIN, 0};
      poll(&p, 1, 50);
      for (int errq = 0; errq < 2; errq++) {
        unsigned char buf[2048], ctrl[512];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
        ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT | (errq ? MSG_ERRQUEUE : 0));
        if (r < 0) continue;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
          if (errq && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
            struct scm_timestamping t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            tx = ns_of(t.ts[0]);
          } else if (!errq && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct iphdr *ip = (struct iphdr *)buf;
            struct icmphdr *e = (struct icmphdr *)(buf + ip->ihl * 4);
            if (r >= ip->ihl * 4 + 8 && e->type == ICMP_ECHOREPLY && e->un.echo.id == htons(id) &&
                e->un.echo.sequence == htons((uint16_t)i)) {
              struct timespec t;
              memcpy(&t, CMSG_DATA(c), sizeof t);
              rx = ns_of(t);
            }
          }
        }
      }
    }
    if (!tx || !rx) continue;
    to_tx[n] = tx - user;
    tx_rx[n] = rx - tx;
    rtt[n] = rx - user;
    sys[n] = ret - user;
    n++;
  }
  printf("{\"probes\":%d,\"userToTxUs\":%.3f,\"txToRxUs\":%.3f,\"rttUs\":%.3f,\"sendmsgUs\":%.3f}\n", n, median_us(to_tx, n),
         median_us(tx_rx, n), median_us(rtt, n), median_us(sys, n));
  return 0;
}
