/*
 * A tcpping monitor's probe state in C (echo_probe.h says why). The adaptive timeout is RFC 6298 as
 * tcp_ping_prometheus applies it, the rule of agent/probes/tcpping/rto-estimator.ts (one-shot
 * tcpping uses that one): SRTT and RTTVAR from each round trip (α = 1/8, β = 1/4), RTO = SRTT +
 * 4·RTTVAR clamped to [min, max], doubled on a timeout. test/agent/probes/tcpping holds both to
 * the same figures.
 */
#include "echo_probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

int probe_start(probe_state_t *p, double interval, double first, double timeout, int fixed, double rto_min, double rto_max, uint64_t first_seq) {
  probe_stop(p);
  memset(p, 0, sizeof *p);
  /* Room for what is usually in flight; it grows when the timeout outlasts a few intervals. */
  p->cap = 4;
  p->ring = calloc(p->cap, sizeof(probe_t));
  if (!p->ring) return -1;
  p->on = 1;
  p->interval = interval;
  p->next = first;
  p->fixed = fixed;
  p->fixed_ms = timeout;
  p->srtt = p->rttvar = NAN;
  p->rto = timeout;
  p->rto_min = rto_min;
  p->rto_max = rto_max;
  p->seq = p->oldest = first_seq;
  p->rto_shown = p->loss_shown = NAN;
  return 0;
}

void probe_stop(probe_state_t *p) {
  /* Writes nothing to a state never started: a set's unused slots stay untouched pages. */
  if (!p->ring && !p->on) return;
  free(p->ring);
  p->ring = NULL;
  p->on = 0;
}

double probe_timeout(const probe_state_t *p) { return p->fixed ? p->fixed_ms : clampd(p->rto, p->rto_min, p->rto_max); }

double probe_wake(const probe_state_t *p) {
  double w = p->next;
  if (p->inflight > 0) {
    uint32_t mask = p->cap - 1;
    for (uint64_t s = p->oldest; s < p->seq; s++) {
      double d = p->ring[s & mask].deadline;
      if (d != 0 && d < w) w = d;
    }
  }
  return w;
}

static void drain_tail(probe_state_t *p) {
  uint32_t mask = p->cap - 1;
  while (p->oldest < p->seq && p->ring[p->oldest & mask].deadline == 0) p->oldest++;
}

/* Doubles the ring (more in flight than it was sized for: a timeout that grew). */
static int grow(probe_state_t *p) {
  uint32_t cap = p->cap * 2, old = p->cap - 1;
  probe_t *r;
  if (cap > (1u << 24)) return -1;
  r = calloc(cap, sizeof(probe_t));
  if (!r) return -1;
  for (uint64_t s = p->oldest; s < p->seq; s++) r[s & (cap - 1)] = p->ring[s & old];
  free(p->ring);
  p->ring = r;
  p->cap = cap;
  return 0;
}

probe_t *probe_take(probe_state_t *p, double now) {
  probe_t *e;
  if (p->seq - p->oldest >= p->cap && grow(p) != 0) return NULL;
  e = &p->ring[p->seq & (p->cap - 1)];
  e->seq = p->seq++;
  e->sent = NAN;
  e->deadline = now + probe_timeout(p);
  if (e->deadline == 0) e->deadline = 1e-9; /* 0 marks a free entry */
  p->inflight++;
  return e;
}

void probe_untake(probe_state_t *p, probe_t *e) {
  if (e->deadline == 0) return;
  e->deadline = 0;
  p->inflight--;
  drain_tail(p);
}

int probe_answer(probe_state_t *p, uint64_t seq, double t, double *rtt) {
  probe_t *e;
  if (!p->on || seq < p->oldest || seq >= p->seq) return 0; /* timed out already, or not ours */
  e = &p->ring[seq & (p->cap - 1)];
  if (e->deadline == 0 || e->seq != seq) return 0;
  e->deadline = 0;
  p->inflight--;
  drain_tail(p);
  *rtt = t - e->sent;
  /* An answer before its send time (a clock step): no sample. */
  if (!(*rtt >= 0)) return 0;
  if (!p->fixed) {
    if (isnan(p->srtt)) {
      p->srtt = *rtt;
      p->rttvar = *rtt / 2;
    } else {
      p->rttvar = 0.75 * p->rttvar + 0.25 * fabs(p->srtt - *rtt);
      p->srtt = 0.875 * p->srtt + 0.125 * *rtt;
    }
    p->rto = p->srtt + 4 * p->rttvar;
  }
  return 1;
}

int probe_expire_one(probe_state_t *p, double now) {
  uint32_t mask = p->cap - 1;
  for (uint64_t s = p->oldest; s < p->seq; s++) {
    probe_t *e = &p->ring[s & mask];
    if (e->deadline == 0 || e->deadline > now) continue;
    e->deadline = 0;
    p->inflight--;
    drain_tail(p);
    if (!p->fixed) {
      double doubled = probe_timeout(p) * 2;
      p->rto = doubled < p->rto_max ? doubled : p->rto_max;
    }
    return 1;
  }
  return 0;
}

uint32_t probe_forget(probe_state_t *p) {
  uint32_t n = p->inflight;
  if (p->ring)
    for (uint64_t s = p->oldest; s < p->seq; s++) p->ring[s & (p->cap - 1)].deadline = 0;
  p->inflight = 0;
  p->oldest = p->seq;
  return n;
}

void probe_window(probe_state_t *p, int lost) {
  uint64_t *w = &p->window[p->w_at >> 6], bit = 1ULL << (p->w_at & 63);
  p->w_lost += lost - ((*w & bit) != 0);
  *w = lost ? *w | bit : *w & ~bit;
  p->w_at = (p->w_at + 1) % PROBE_LOSS_WINDOW;
  if (p->w_fill < PROBE_LOSS_WINDOW) p->w_fill++;
}

double probe_loss_pct(const probe_state_t *p) { return p->w_fill ? (double)p->w_lost / p->w_fill * 100 : 0; }
