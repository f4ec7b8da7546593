/*
 * A minimal TCPPING client in C, the yardstick for our client's round trip (bench/tcp-echo.ts,
 * part 2): ONE connection with TCP_NODELAY, a 24-byte frame ("TCPPING\0" | seq uint64 LE | Unix
 * time in ns uint64 LE) every interval on CLOCK_MONOTONIC, each timed from just before send() to
 * the last byte of its echo. Two ways to wait for the echo:
 *   block  recv() blocks: the thread sleeps and the kernel wakes it (what most clients do);
 *          between probes it sleeps with clock_nanosleep(TIMER_ABSTIME).
 *   poll   recv(MSG_DONTWAIT) in a busy loop: the thread never sleeps, as our client at 1 ms
 *          (it turns its event loop between probes); between probes it spins on the clock.
 * Prints one line: probes answered, then the median and p99 round trip in ns.
 *
 *   cc -O2 -o tcpping-min bench/tcpping-min.c && ./tcpping-min PORT COUNT block|poll [INTERVAL_US]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s PORT COUNT block|poll [INTERVAL_US]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  long n = atol(argv[2]);
  int poll = strcmp(argv[3], "poll") == 0;
  uint64_t interval = (argc > 4 ? (uint64_t)atol(argv[4]) : 1000u) * 1000u;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("connect");
    return 1;
  }
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  uint64_t *rtts = calloc((size_t)n, sizeof *rtts);
  long got = 0;
  unsigned char f[24], r[24];
  memcpy(f, "TCPPING\0", 8);
  uint64_t start = ns(CLOCK_MONOTONIC);
  for (long seq = 1; seq <= n; seq++) {
    uint64_t due = start + (uint64_t)seq * interval;
    if (poll) {
      while (ns(CLOCK_MONOTONIC) < due) {
      }
    } else {
      struct timespec t = {.tv_sec = (time_t)(due / 1000000000u), .tv_nsec = (long)(due % 1000000000u)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
      }
    }
    put64(f + 8, (uint64_t)seq);
    put64(f + 16, ns(CLOCK_REALTIME));
    uint64_t t0 = ns(CLOCK_MONOTONIC);
    if (send(s, f, sizeof f, 0) != (ssize_t)sizeof f) {
      perror("send");
      return 1;
    }
    size_t have = 0;
    while (have < sizeof r) {
      ssize_t k = recv(s, r + have, sizeof r - have, poll ? MSG_DONTWAIT : 0);
      if (k > 0) have += (size_t)k;
      else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        perror("recv");
        return 1;
      }
    }
    uint64_t t1 = ns(CLOCK_MONOTONIC);
    if (get64(r + 8) == (uint64_t)seq) rtts[got++] = t1 - t0;
  }
  qsort(rtts, (size_t)got, sizeof *rtts, cmp);
  printf("%ld %llu %llu\n", got, got ? (unsigned long long)rtts[got / 2] : 0ull, got ? (unsigned long long)rtts[got * 99 / 100] : 0ull);
  close(s);
  return 0;
}
