/*
 * One monitored connection's probes (echo_probe.c): the schedule, the probes in flight, the
 * adaptive timeout and the loss window of a tcpping monitor, kept in C beside its socket so that a
 * probe and its reply cost JavaScript nothing but the outcome (echo_set.c's scheduled slots).
 * Pure: no I/O, no N-API; times are ms, the schedule's on CLOCK_MONOTONIC, send and reply times on
 * the echo set's clock.
 */
#ifndef MESHPROBE_ECHO_PROBE_H
#define MESHPROBE_ECHO_PROBE_H
#include <stdint.h>

/* tcp-echo-metrics' sliding loss window (probes). */
#define PROBE_LOSS_WINDOW 100

typedef struct {
  uint64_t seq;
  double sent;     /* send time, the echo set's clock */
  double deadline; /* monotonic ms; 0: the entry is free */
} probe_t;

/* What a probe and its reply touch comes first and together: at 1,000 monitors the state has gone
 * cold in the cache between two probes, and each line touched is a miss. */
typedef struct {
  int on;
  /* The timeout: fixed (legacy frames or fixedTimeout), or RFC 6298 (as rto-estimator.ts). */
  int fixed;
  uint32_t cap; /* the ring's size, a power of two (it grows while more are in flight) */
  uint32_t inflight;
  /* Probes in flight: sequences [oldest, seq), a ring indexed by sequence (TCP answers in order). */
  uint64_t seq, oldest;
  probe_t *ring;
  double interval;
  double next; /* when the next probe is due (monotonic ms) */
  double srtt, rttvar, rto; /* srtt NaN: no sample yet */
  double fixed_ms, rto_min, rto_max;
  /* The last PROBE_LOSS_WINDOW outcomes, a bit each (1 = lost), as a ring. */
  uint64_t window[2];
  int w_at, w_fill, w_lost;
  /* Gauges as last reported (NaN: never). */
  double rto_shown, loss_shown;
} probe_state_t;

/* Starts probing: the first probe at `first` (monotonic ms), sequences from `first_seq`. 0 on success. */
int probe_start(probe_state_t *p, double interval, double first, double timeout, int fixed, double rto_min, double rto_max, uint64_t first_seq);
void probe_stop(probe_state_t *p);
/* The timeout a probe sent now gets (ms). */
double probe_timeout(const probe_state_t *p);
/* The earliest time something is due: the next probe or the earliest deadline in flight. */
double probe_wake(const probe_state_t *p);
/* Takes the next sequence for a probe leaving now (its send time is set by the caller once it
 * left); NULL when the ring could not grow. */
probe_t *probe_take(probe_state_t *p, double now);
/* Gives back the probe `e` that did not leave. */
void probe_untake(probe_state_t *p, probe_t *e);
/* A reply with `seq` at `t`: 1 with *rtt when it answers a probe in flight, else 0 (late, or not ours). */
int probe_answer(probe_state_t *p, uint64_t seq, double t, double *rtt);
/* Times out the oldest probe past its deadline at `now`: 1 when one did (call again), else 0. */
int probe_expire_one(probe_state_t *p, double now);
/* Forgets the probes in flight; returns how many there were. */
uint32_t probe_forget(probe_state_t *p);
/* Adds an outcome to the loss window (1 = lost). */
void probe_window(probe_state_t *p, int lost);
/* The loss over the window (%). */
double probe_loss_pct(const probe_state_t *p);
#endif
