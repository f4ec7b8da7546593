/*
 * The anchor of bench/tcpping-monitors.ts: the least a client can spend on the same traffic. N TCP
 * connections to 127.0.0.1:PORT, TCP_NODELAY, a 24-byte TCPPING frame on each every INTERVAL ms
 * (spread over the interval), replies read through epoll; no statistics, no timeouts, nothing
 * else. Prints its CPU (user and system, as a share of one core) over SECONDS, as one JSON line.
 *
 *   cc -O2 -o tcpping-floor bench/tcpping-floor.c && ./tcpping-floor PORT N INTERVAL SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(const struct timeval *tv) { return tv->tv_sec * 1e3 + tv->tv_usec / 1e3; }

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: tcpping-floor PORT N INTERVAL_MS SECONDS\n");
    return 2;
  }
  int port = atoi(argv[1]), n = atoi(argv[2]);
  double interval = atof(argv[3]), secs = atof(argv[4]);
  int *fd = calloc((size_t)n, sizeof *fd);
  double *next = calloc((size_t)n, sizeof *next);
  uint64_t *seq = calloc((size_t)n, sizeof *seq);
  int ep = epoll_create1(0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  double t0 = now_ms();
  for (int i = 0; i < n; i++) {
    int one = 1;
    fd[i] = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd[i], (struct sockaddr *)&a, sizeof a)) {
      perror("connect");
      return 1;
    }
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e);
    next[i] = t0 + interval * i / n;
  }
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  double w0 = now_ms();
  long sent = 0, got = 0;
  char buf[4096];
  struct epoll_event ev[256];
  while (now_ms() - w0 < secs * 1000) {
    double t = now_ms();
    for (int i = 0; i < n; i++) {
      if (next[i] > t) continue;
      unsigned char f[24];
      struct timespec ts;
      memcpy(f, "TCPPING", 8);
      seq[i]++;
      memcpy(f + 8, &seq[i], 8);
      clock_gettime(CLOCK_REALTIME, &ts);
      uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
      memcpy(f + 16, &ns, 8);
      if (send(fd[i], f, 24, MSG_DONTWAIT) == 24) sent++;
      next[i] += interval;
    }
    int k = epoll_wait(ep, ev, 256, 10);
    for (int j = 0; j < k; j++) {
      ssize_t r = recv(fd[ev[j].data.u32], buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) got += r / 24;
    }
  }
  getrusage(RUSAGE_SELF, &r1);
  double wall = now_ms() - w0;
  double u = cpu_ms(&r1.ru_utime) - cpu_ms(&r0.ru_utime), s = cpu_ms(&r1.ru_stime) - cpu_ms(&r0.ru_stime);
  printf("{\"sent\":%ld,\"replies\":%ld,\"cpu\":%.3f,\"user\":%.3f,\"system\":%.3f}\n", sent, got, 100 * (u + s) / wall, 100 * u / wall, 100 * s / wall);
  return 0;
}
