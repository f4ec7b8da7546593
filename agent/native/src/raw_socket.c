/*
 * meshprobe raw-socket addon: opens raw (and unprivileged datagram) sockets, sends packets with
 * per-packet TTL, and hands received packets to JS in batches with their kernel receive
 * timestamps. It never builds or parses a packet: that is TypeScript's job (shared/).
 *
 * N-API only (NAPI_VERSION 8) plus libuv for polling, so a build made with one Node's headers
 * loads in later Node versions. Wrapped by agent/socket/raw-socket.ts; see the API comment there.
 *
 * Batch mode (open() with options.batch, an ArrayBuffer): received packets are not turned into
 * JS objects. recvmmsg writes the first snapBytes of each packet straight into that buffer, the
 * kernel time, lengths, TTL, port and source address go into typed-array regions beside them,
 * and the callback gets only the count: a monitor probing 10,000 targets a second allocates
 * nothing per reply (per-packet objects were ~3 MB/s of garbage, and kept V8's young
 * generation at its largest). Layout, BATCH (64) slots of each, in this order:
 *   float64 time[B] | int32 captured[B] | int32 length[B] | int32 ttl[B] | int32 port[B] |
 *   uint8 address[16·B] (IPv4: 4 bytes, then zeros) | uint8 data[snapBytes·B]
 * The error queue is drained and discarded in this mode (open such sockets with recvErr off).
 *
 * Times: every time handed to JS is milliseconds (a double) since an epoch fixed at module load,
 * on CLOCK_REALTIME — the clock SO_TIMESTAMPNS stamps packets with — so send and receive times
 * subtract to a round trip with sub-microsecond precision.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "echo_set.h"
#include "sockaddr.h"

/* From <linux/icmp.h>, which clashes with <net/if.h>. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
struct icmp_filter {
  uint32_t data;
};
#endif

#define BATCH 64
/* Largest IP datagram: every packet fits, whatever payload size a caller picks. */
#define PKT_MAX 65536
#define CTRL_MAX 512
/* A poll wake-up drains the queue until EAGAIN: a sweep's replies keep arriving while JS runs,
 * and whatever is left when a measurement ends is lost. The cap (65,536 packets) only bounds
 * one wake-up under a flood, for fairness with the rest of the loop. */
#define MAX_ROUNDS 1024

enum { MODE_RAW = 0, MODE_DGRAM = 1 };
enum { PROTO_ICMP = 0, PROTO_UDP = 1, PROTO_TCP = 2 };

typedef struct sock_s {
  uv_poll_t poll;
  int fd;
  int family; /* AF_INET | AF_INET6 */
  int proto;  /* PROTO_* */
  int mode;   /* MODE_* */
  int polling;
  int closed;       /* close() was called (fd closed or closing) */
  int handle_open;  /* uv handle initialised and not yet closed */
  int finalized;    /* JS external was garbage-collected */
  napi_env env;
  napi_ref callback;
  napi_ref resource;
  napi_async_context actx;
  /* Receive health (see "receive health" below): the kernel's cumulative drop count, as last
   * seen in an SO_RXQ_OVFL cmsg or SO_MEMINFO, and the figures snapshotted at close(). */
  uint32_t rx_drops;
  int rx_have_meminfo;
  uint32_t rx_meminfo[SK_MEMINFO_VARS];
  /* Batch mode: the JS ArrayBuffer packets are received into (kept alive by batch_ref), its
   * regions (see the layout at the top), and the bytes kept of each packet. */
  napi_ref batch_ref;
  double *b_time;
  int32_t *b_captured, *b_length, *b_ttl, *b_port;
  unsigned char *b_addr, *b_data;
  size_t b_snap;
  struct iovec b_iov[BATCH];
} sock_t;

/* Bytes of a batch buffer with snapBytes per packet (see the layout at the top). */
#define BATCH_BYTES(snap) ((size_t)BATCH * (8 + 4 * 4 + 16 + (size_t)(snap)))

static int64_t epoch_ns = 0;

/* One receive arena for the whole process: every callback runs on the loop thread. */
static unsigned char *arena = NULL;
static unsigned char ctrl_arena[BATCH][CTRL_MAX];
static struct sockaddr_storage name_arena[BATCH];
static struct iovec iov_arena[BATCH];
static struct mmsghdr msg_arena[BATCH];

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double to_ms(int64_t ns) { return (double)(ns - epoch_ns) / 1e6; }

/* ---------- small N-API helpers ---------- */

#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, "MP_ERR_INTERNAL", "N-API call failed: " #call); \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error, errnum;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_set_named_property(env, error, "syscall", message);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "MP_ERR_BAD_REQUEST", msg);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* Reads a string argument into buf; returns 0 when it is not a string or too long. */
static int get_str(napi_env env, napi_value v, char *buf, size_t len) {
  napi_valuetype t;
  size_t n;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok) return 0;
  return n < len - 1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_undefined || t == napi_null;
}

static napi_value get_prop(napi_env env, napi_value obj, const char *name) {
  napi_value v = NULL;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return NULL;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return NULL;
  if (is_nullish(env, v)) return NULL;
  return v;
}

static sock_t *get_sock(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (sock_t *)p;
}

/* Parses an address of the socket's family (sockaddr.c). */
static int parse_addr(sock_t *s, const char *text, int port, struct sockaddr_storage *ss, socklen_t *len) {
  return parse_sockaddr(s->family, text, port, ss, len);
}

/* Formats an address; returns its port (host order) through *port. */
static napi_value addr_value(napi_env env, const struct sockaddr *sa, int *port) {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  napi_value v;
  *port = -1;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    *port = ntohs(a->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    if (a->sin6_scope_id) {
      char ifn[IF_NAMESIZE];
      size_t n = strlen(buf);
      if (if_indextoname(a->sin6_scope_id, ifn)) snprintf(buf + n, sizeof buf - n, "%%%s", ifn);
      else snprintf(buf + n, sizeof buf - n, "%%%u", a->sin6_scope_id);
    }
    *port = ntohs(a->sin6_port);
  }
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &v);
  return v;
}

static void set_num(napi_env env, napi_value obj, const char *name, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_str(napi_env env, napi_value obj, const char *name, const char *x) {
  napi_value v;
  napi_create_string_utf8(env, x, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, name, v);
}

/* ---------- receive health: drop count, buffer use, echo-identifier filter ---------- */

/* SO_RXQ_OVFL: each received packet carries (cmsg) how many packets the kernel dropped on this
 * socket so far because its receive buffer was full. */
static int enable_drop_count(int fd) {
  int on = 1;
  return setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) == 0;
}

static void note_drop_count(sock_t *s, struct cmsghdr *c) {
  uint32_t v;
  if (c->cmsg_len < CMSG_LEN(sizeof v)) return;
  memcpy(&v, CMSG_DATA(c), sizeof v);
  /* Cumulative, so the latest is the largest (modulo 2^32, which a sweep never wraps). */
  if ((int32_t)(v - s->rx_drops) > 0) s->rx_drops = v;
}

/* SO_MEMINFO: the live counters (bytes queued, buffer size, drops). The cmsg alone cannot tell
 * drops that happened after the last packet that got in, which is how a full buffer ends. */
static int read_meminfo(sock_t *s) {
  uint32_t mem[SK_MEMINFO_VARS];
  socklen_t len = sizeof mem;
  if (s->fd < 0) return s->rx_have_meminfo;
  memset(mem, 0, sizeof mem);
  if (getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0) return s->rx_have_meminfo;
  memcpy(s->rx_meminfo, mem, sizeof mem);
  s->rx_have_meminfo = 1;
  if ((int32_t)(mem[SK_MEMINFO_DROPS] - s->rx_drops) > 0) s->rx_drops = mem[SK_MEMINFO_DROPS];
  return 1;
}

/*
 * A classic BPF filter, as iputils ping attaches: echo replies pass only when their identifier is
 * one of ours (first .. first+count-1, modulo 2^16); everything else passes (ICMP errors, which
 * the kernel's ICMP type filter narrows). A raw ICMP socket otherwise gets a copy of every echo
 * reply on the host: another program's sweep would cost us CPU and fill our receive buffer.
 * IPv4 raw sockets see the IP header first (X = its length); IPv6 raw sockets start at ICMPv6.
 */
static int attach_echo_filter(int fd, int fam, uint32_t first, uint32_t count) {
  struct sock_filter code[] = {
      fam == 4 ? (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0) : (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0),
      BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),                       /* A = ICMP type */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, fam == 4 ? 0 : 129, 1, 0), /* echo reply? */
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),                       /* no: pass */
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),                       /* A = identifier */
      BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, first),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffff),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, count, 1, 0),            /* not ours? */
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),                       /* ours: pass */
      BPF_STMT(BPF_RET | BPF_K, 0),                                /* someone else's: drop */
  };
  struct sock_fprog prog = {(unsigned short)(sizeof code / sizeof code[0]), code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0;
}

/* receiveStats(handle) → {drops, queuedBytes, bufferBytes}: drops counts packets the kernel
 * dropped because the receive buffer was full (cumulative); after close(), the last figures. */
static napi_value js_receive_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], obj;
  sock_t *s;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  s = argc ? get_sock(env, argv[0]) : NULL;
  if (!s) return throw_type(env, "not a socket handle");
  if (!s->closed) read_meminfo(s);
  napi_create_object(env, &obj);
  set_num(env, obj, "drops", s->rx_drops);
  set_num(env, obj, "queuedBytes", s->closed || !s->rx_have_meminfo ? 0 : s->rx_meminfo[SK_MEMINFO_RMEM_ALLOC]);
  set_num(env, obj, "bufferBytes", s->rx_have_meminfo ? s->rx_meminfo[SK_MEMINFO_RCVBUF] : 0);
  return obj;
}

/* ---------- receive path ---------- */

static void on_poll(uv_poll_t *h, int status, int events);

static void ensure_arena(void) {
  if (!arena) arena = malloc((size_t)BATCH * PKT_MAX);
}

/* Points the message headers at the shared arena, or (batch mode, normal queue) straight into the
 * socket's batch buffer. */
static void prepare_batch(sock_t *s, int errq) {
  int direct = s->b_data && !errq;
  for (int i = 0; i < BATCH; i++) {
    struct iovec *iov = direct ? &s->b_iov[i] : &iov_arena[i];
    iov->iov_base = direct ? s->b_data + (size_t)i * s->b_snap : arena + (size_t)i * PKT_MAX;
    iov->iov_len = direct ? s->b_snap : PKT_MAX;
    memset(&msg_arena[i], 0, sizeof msg_arena[i]);
    msg_arena[i].msg_hdr.msg_name = &name_arena[i];
    msg_arena[i].msg_hdr.msg_namelen = sizeof name_arena[i];
    msg_arena[i].msg_hdr.msg_iov = iov;
    msg_arena[i].msg_hdr.msg_iovlen = 1;
    msg_arena[i].msg_hdr.msg_control = ctrl_arena[i];
    msg_arena[i].msg_hdr.msg_controllen = CTRL_MAX;
  }
}

/* Builds the JS object of one received message (normal or from the error queue). */
static napi_value packet_value(napi_env env, sock_t *s, struct mmsghdr *m, int64_t fallback_ns, int errq) {
  napi_value obj, data;
  struct msghdr *h = &m->msg_hdr;
  int64_t t = 0;
  int ttl = -1, port = -1;
  struct sock_extended_err *ee = NULL;
  size_t len = m->msg_len;
  if (len > PKT_MAX) len = PKT_MAX;

  napi_create_object(env, &obj);
  napi_create_buffer_copy(env, len, h->msg_iov[0].iov_base, NULL, &data);
  napi_set_named_property(env, obj, "data", data);

  if (h->msg_namelen > 0) {
    napi_value a = addr_value(env, (struct sockaddr *)h->msg_name, &port);
    napi_set_named_property(env, obj, "address", a);
  } else {
    set_str(env, obj, "address", "");
  }
  if (s->mode == MODE_DGRAM && s->proto != PROTO_ICMP && port >= 0) set_num(env, obj, "port", port);

  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
      ee = (struct sock_extended_err *)CMSG_DATA(c);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      note_drop_count(s, c);
    }
  }
  set_num(env, obj, "time", to_ms(t ? t : fallback_ns));
  if (ttl >= 0) set_num(env, obj, "ttl", ttl);

  if (errq && ee) {
    napi_value err;
    const char *origin = "none";
    const char *name = strerrorname_np((int)ee->ee_errno);
    napi_create_object(env, &err);
    switch (ee->ee_origin) {
      case SO_EE_ORIGIN_LOCAL: origin = "local"; break;
      case SO_EE_ORIGIN_ICMP: origin = "icmp"; break;
      case SO_EE_ORIGIN_ICMP6: origin = "icmp6"; break;
      case SO_EE_ORIGIN_TXSTATUS: origin = "txstatus"; break;
      case SO_EE_ORIGIN_ZEROCOPY: origin = "zerocopy"; break;
      case SO_EE_ORIGIN_TXTIME: origin = "txtime"; break;
    }
    set_str(env, err, "errno", name ? name : "EUNKNOWN");
    set_str(env, err, "origin", origin);
    set_num(env, err, "type", ee->ee_type);
    set_num(env, err, "code", ee->ee_code);
    set_num(env, err, "info", ee->ee_info);
    {
      struct sockaddr *off = SO_EE_OFFENDER(ee);
      if (off->sa_family == AF_INET || off->sa_family == AF_INET6) {
        int p;
        napi_value a = addr_value(env, off, &p);
        napi_set_named_property(env, err, "offender", a);
      }
    }
    napi_set_named_property(env, obj, "error", err);
  }
  return obj;
}

/* Batch mode: fills the regions beside the data (which recvmmsg wrote in place) for n packets. */
static void fill_batch(sock_t *s, int n, int64_t fallback_ns) {
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &msg_arena[i].msg_hdr;
    const struct sockaddr *sa = (const struct sockaddr *)h->msg_name;
    unsigned char *a = s->b_addr + (size_t)i * 16;
    int64_t t = 0;
    int ttl = -1, port = -1;
    size_t len = msg_arena[i].msg_len; /* MSG_TRUNC: the packet's full length */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
      } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                 (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        note_drop_count(s, c);
      }
    }
    memset(a, 0, 16);
    if (h->msg_namelen > 0 && sa->sa_family == AF_INET) {
      memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
      port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
    } else if (h->msg_namelen > 0 && sa->sa_family == AF_INET6) {
      memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
      port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    }
    if (s->mode != MODE_DGRAM || s->proto == PROTO_ICMP) port = -1;
    s->b_time[i] = to_ms(t ? t : fallback_ns);
    s->b_length[i] = len > INT32_MAX ? INT32_MAX : (int32_t)len;
    s->b_captured[i] = (int32_t)(len < s->b_snap ? len : s->b_snap);
    s->b_ttl[i] = ttl;
    s->b_port[i] = port;
  }
}

/* Hands one batch to JS. Returns 0 when the socket got closed by the callback. */
static int deliver(sock_t *s, int n, int errq, int64_t fallback_ns) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value arr, cb, recv, result;
  napi_status st;
  if (s->b_data && errq) return 1; /* batch mode: the error queue is discarded */
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  if (s->b_data) {
    /* The packets are in the batch buffer already: JS gets only their count (a small integer,
     * no allocation). */
    fill_batch(s, n, fallback_ns);
    napi_create_int32(env, n, &arr);
  } else {
    napi_create_array_with_length(env, (size_t)n, &arr);
    for (int i = 0; i < n; i++) {
      napi_value p = packet_value(env, s, &msg_arena[i], fallback_ns, errq);
      napi_set_element(env, arr, (uint32_t)i, p);
    }
  }
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_reference_value(env, s->resource, &recv);
  st = napi_make_callback(env, s->actx, recv, cb, 1, &arr, &result);
  if (st == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
  napi_close_handle_scope(env, scope);
  return !s->closed;
}

/* Drains the normal queue (errq = 0) or the error queue (errq = 1). */
static void drain(sock_t *s, int errq) {
  ensure_arena();
  if (!arena) return;
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    int n;
    prepare_batch(s, errq);
    /* Batch mode receives a prefix of each packet; MSG_TRUNC makes msg_len the full length. */
    n = recvmmsg(s->fd, msg_arena, BATCH, MSG_DONTWAIT | (errq ? MSG_ERRQUEUE : 0) | (s->b_data && !errq ? MSG_TRUNC : 0), NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      /* A pending asynchronous socket error (an ICMP error turned into sk_err) is reported
       * once and consumed; packets may still be queued behind it. */
      if (errno == EBADF || errno == ENOTSOCK) return;
      continue;
    }
    if (n == 0) return;
    if (!deliver(s, n, errq, now_ns())) return;
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  if (s->closed) return;
  if (status < 0) {
    /* libuv stops the handle on POLLERR: the error queue has something (IP_RECVERR) or an
     * asynchronous error is pending. Drain both queues, clear SO_ERROR, and poll again. */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    drain(s, 1);
    if (s->closed) return;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    drain(s, 0);
    if (!s->closed && s->polling) uv_poll_start(&s->poll, UV_READABLE, on_poll);
    return;
  }
  if (events & UV_READABLE) drain(s, 0);
}

/* ---------- lifecycle ---------- */

static void free_if_done(sock_t *s) {
  if (s->finalized && !s->handle_open && s->closed) free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  s->handle_open = 0;
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  free_if_done(s);
}

static void do_close(napi_env env, sock_t *s) {
  if (s->closed) return;
  read_meminfo(s); /* the last receive figures, for receiveStats() after close */
  s->closed = 1;
  s->polling = 0;
  if (s->callback) {
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
  }
  if (s->actx) {
    napi_async_destroy(env, s->actx);
    s->actx = NULL;
  }
  if (s->resource) {
    napi_delete_reference(env, s->resource);
    s->resource = NULL;
  }
  if (s->batch_ref) {
    napi_delete_reference(env, s->batch_ref);
    s->batch_ref = NULL;
    s->b_data = NULL;
  }
  if (s->handle_open) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  } else if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  sock_t *s = (sock_t *)data;
  s->finalized = 1;
  /* Only reachable unclosed when the JS side dropped the socket without close(). */
  do_close(env, s);
  free_if_done(s);
}

/* Options of open() that are plain setsockopt calls. Returns 0 and sets errno on failure. */
static int apply_int_opt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

/*
 * open(family: 4|6, protocol: 'icmp'|'udp'|'tcp', mode: 'raw'|'dgram', onPackets, options?)
 *   options: { recvTtl?: bool, recvErr?: bool, checksumOffset?: int, receiveBufferBytes?: int,
 *              sendBufferBytes?: int, device?: string, icmpFilter?: number[] (types to pass),
 *              pmtu?: 'want'|'do'|'dont'|'probe', ttl?: int (default unicast TTL),
 *              echoIdFirst?: int, echoIdCount?: int (raw ICMP: pass only our echo replies),
 *              batch?: ArrayBuffer, snapBytes?: int (batch mode: see the top of this file;
 *              onPackets is then called with the number of packets in the buffer) }
 * → external handle
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], ext, res, name;
  char proto_s[8], mode_s[8];
  int fam = 0, family, type, proto, ipproto, fd;
  sock_t *s;
  uv_loop_t *loop;
  napi_valuetype cbt;
  napi_value opts = NULL, v, batch_buf = NULL;
  void *batch_mem = NULL;
  size_t batch_snap = 0;

  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_type(env, "open(family, protocol, mode, onPackets, options?)");
  if (!get_int(env, argv[0], &fam) || (fam != 4 && fam != 6)) return throw_type(env, "family must be 4 or 6");
  if (!get_str(env, argv[1], proto_s, sizeof proto_s)) return throw_type(env, "protocol must be 'icmp', 'udp' or 'tcp'");
  if (!get_str(env, argv[2], mode_s, sizeof mode_s)) return throw_type(env, "mode must be 'raw' or 'dgram'");
  napi_typeof(env, argv[3], &cbt);
  if (cbt != napi_function) return throw_type(env, "onPackets must be a function");
  if (argc >= 5 && !is_nullish(env, argv[4])) opts = argv[4];

  family = fam == 4 ? AF_INET : AF_INET6;
  if (!strcmp(proto_s, "icmp")) proto = PROTO_ICMP;
  else if (!strcmp(proto_s, "udp")) proto = PROTO_UDP;
  else if (!strcmp(proto_s, "tcp")) proto = PROTO_TCP;
  else return throw_type(env, "protocol must be 'icmp', 'udp' or 'tcp'");
  if (!strcmp(mode_s, "raw")) type = SOCK_RAW;
  else if (!strcmp(mode_s, "dgram")) type = SOCK_DGRAM;
  else return throw_type(env, "mode must be 'raw' or 'dgram'");
  if (type == SOCK_DGRAM && proto == PROTO_TCP) return throw_type(env, "mode 'dgram' is for icmp and udp only");

  ipproto = proto == PROTO_ICMP ? (fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)
          : proto == PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
  fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, ipproto);
  if (fd < 0) return throw_errno(env, "socket", errno);

  /* Kernel receive timestamps, and the TTL / hop limit of what arrives. */
  if (!apply_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1)) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_TIMESTAMPNS)", e);
  }
  if (!enable_drop_count(fd)) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_RXQ_OVFL)", e);
  }

#define OPT_FAIL(what)         \
  do {                         \
    int e_ = errno;            \
    close(fd);                 \
    return throw_errno(env, what, e_); \
  } while (0)

  {
    int recv_ttl = 1, recv_err = type == SOCK_DGRAM;
    if (opts && (v = get_prop(env, opts, "recvTtl"))) {
      bool b = true;
      napi_get_value_bool(env, v, &b);
      recv_ttl = b;
    }
    if (opts && (v = get_prop(env, opts, "recvErr"))) {
      bool b = recv_err;
      napi_get_value_bool(env, v, &b);
      recv_err = b;
    }
    if (recv_ttl) {
      if (fam == 4 ? !apply_int_opt(fd, IPPROTO_IP, IP_RECVTTL, 1) : !apply_int_opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1))
        OPT_FAIL("setsockopt(recvTtl)");
    }
    if (recv_err) {
      if (fam == 4 ? !apply_int_opt(fd, IPPROTO_IP, IP_RECVERR, 1) : !apply_int_opt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1))
        OPT_FAIL("setsockopt(recvErr)");
    }
  }
  if (opts) {
    int x;
    char buf[IF_NAMESIZE + 1];
    if ((v = get_prop(env, opts, "checksumOffset"))) {
      if (!get_int(env, v, &x)) { close(fd); return throw_type(env, "checksumOffset must be a number"); }
      if (fam != 6 || type != SOCK_RAW) { close(fd); return throw_type(env, "checksumOffset applies to IPv6 raw sockets only"); }
      if (!apply_int_opt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, x)) OPT_FAIL("setsockopt(IPV6_CHECKSUM)");
    }
    if ((v = get_prop(env, opts, "receiveBufferBytes"))) {
      if (!get_int(env, v, &x)) { close(fd); return throw_type(env, "receiveBufferBytes must be a number"); }
      /* SO_RCVBUFFORCE passes rmem_max when we are privileged; fall back quietly. */
      if (!apply_int_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, x) && !apply_int_opt(fd, SOL_SOCKET, SO_RCVBUF, x))
        OPT_FAIL("setsockopt(SO_RCVBUF)");
    }
    if ((v = get_prop(env, opts, "sendBufferBytes"))) {
      if (!get_int(env, v, &x)) { close(fd); return throw_type(env, "sendBufferBytes must be a number"); }
      if (!apply_int_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, x) && !apply_int_opt(fd, SOL_SOCKET, SO_SNDBUF, x))
        OPT_FAIL("setsockopt(SO_SNDBUF)");
    }
    if ((v = get_prop(env, opts, "ttl"))) {
      if (!get_int(env, v, &x) || x < 1 || x > 255) { close(fd); return throw_type(env, "ttl must be 1..255"); }
      if (fam == 4 ? !apply_int_opt(fd, IPPROTO_IP, IP_TTL, x) : !apply_int_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, x))
        OPT_FAIL("setsockopt(ttl)");
    }
    if ((v = get_prop(env, opts, "device"))) {
      if (!get_str(env, v, buf, sizeof buf)) { close(fd); return throw_type(env, "device must be an interface name"); }
      if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, buf, (socklen_t)strlen(buf)) != 0) OPT_FAIL("setsockopt(SO_BINDTODEVICE)");
    }
    if ((v = get_prop(env, opts, "pmtu"))) {
      int val;
      if (!get_str(env, v, buf, sizeof buf)) { close(fd); return throw_type(env, "pmtu must be 'want', 'do', 'dont' or 'probe'"); }
      if (!strcmp(buf, "want")) val = fam == 4 ? IP_PMTUDISC_WANT : IPV6_PMTUDISC_WANT;
      else if (!strcmp(buf, "do")) val = fam == 4 ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO;
      else if (!strcmp(buf, "dont")) val = fam == 4 ? IP_PMTUDISC_DONT : IPV6_PMTUDISC_DONT;
      else if (!strcmp(buf, "probe")) val = fam == 4 ? IP_PMTUDISC_PROBE : IPV6_PMTUDISC_PROBE;
      else { close(fd); return throw_type(env, "pmtu must be 'want', 'do', 'dont' or 'probe'"); }
      if (fam == 4 ? !apply_int_opt(fd, IPPROTO_IP, IP_MTU_DISCOVER, val) : !apply_int_opt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, val))
        OPT_FAIL("setsockopt(pmtu)");
    }
    if ((v = get_prop(env, opts, "icmpFilter"))) {
      /* The kernel's per-socket ICMP type filter: wake us only for the types we parse. */
      uint32_t len = 0;
      bool isarr = false;
      napi_is_array(env, v, &isarr);
      if (!isarr || type != SOCK_RAW || proto != PROTO_ICMP) { close(fd); return throw_type(env, "icmpFilter is an array of ICMP types, for raw ICMP sockets"); }
      napi_get_array_length(env, v, &len);
      if (fam == 4) {
        struct icmp_filter f;
        f.data = ~0U;
        for (uint32_t i = 0; i < len; i++) {
          napi_value e;
          napi_get_element(env, v, i, &e);
          if (get_int(env, e, &x) && x >= 0 && x < 32) f.data &= ~(1U << x);
        }
        if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f) != 0) OPT_FAIL("setsockopt(ICMP_FILTER)");
      } else {
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        for (uint32_t i = 0; i < len; i++) {
          napi_value e;
          napi_get_element(env, v, i, &e);
          if (get_int(env, e, &x) && x >= 0 && x < 256) ICMP6_FILTER_SETPASS(x, &f);
        }
        if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f) != 0) OPT_FAIL("setsockopt(ICMP6_FILTER)");
      }
    }
    if ((v = get_prop(env, opts, "echoIdFirst"))) {
      napi_value cv = get_prop(env, opts, "echoIdCount");
      int count = 1;
      if (!get_int(env, v, &x) || x < 0 || x > 0xffff || (cv && (!get_int(env, cv, &count) || count < 1 || count > 0xffff)) ||
          type != SOCK_RAW || proto != PROTO_ICMP) {
        close(fd);
        return throw_type(env, "echoIdentifiers is {first: 0..65535, count?: 1..65535}, for raw ICMP sockets");
      }
      if (!attach_echo_filter(fd, fam, (uint32_t)x, (uint32_t)count)) OPT_FAIL("setsockopt(SO_ATTACH_FILTER)");
    }
  }
  if (opts && (v = get_prop(env, opts, "batch"))) {
    bool isab = false;
    void *mem = NULL;
    size_t bytes = 0;
    int snap = 0;
    napi_value sv = get_prop(env, opts, "snapBytes");
    napi_is_arraybuffer(env, v, &isab);
    if (!isab || !sv || !get_int(env, sv, &snap) || snap < 8 || snap > PKT_MAX || snap % 8) {
      close(fd);
      return throw_type(env, "batch is an ArrayBuffer with snapBytes: 8..65536, a multiple of 8");
    }
    napi_get_arraybuffer_info(env, v, &mem, &bytes);
    if (bytes < BATCH_BYTES(snap)) { close(fd); return throw_type(env, "batch is smaller than its layout"); }
    batch_buf = v;
    batch_mem = mem;
    batch_snap = (size_t)snap;
  }
#undef OPT_FAIL

  s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  if (batch_buf) {
    unsigned char *p = batch_mem;
    napi_create_reference(env, batch_buf, 1, &s->batch_ref);
    s->b_snap = batch_snap;
    s->b_time = (double *)p;
    p += BATCH * 8;
    s->b_captured = (int32_t *)p;
    s->b_length = (int32_t *)(p + BATCH * 4);
    s->b_ttl = (int32_t *)(p + BATCH * 8);
    s->b_port = (int32_t *)(p + BATCH * 12);
    p += BATCH * 16;
    s->b_addr = p;
    s->b_data = p + BATCH * 16;
  }
  s->fd = fd;
  s->family = family;
  s->proto = proto;
  s->mode = type == SOCK_RAW ? MODE_RAW : MODE_DGRAM;
  s->env = env;
  napi_create_reference(env, argv[3], 1, &s->callback);
  napi_create_object(env, &res);
  napi_create_reference(env, res, 1, &s->resource);
  napi_create_string_utf8(env, "meshprobe:RawSocket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, res, name, &s->actx);

  napi_get_uv_event_loop(env, &loop);
  if (uv_poll_init_socket(loop, &s->poll, fd) != 0) {
    do_close(env, s);
    free(s);
    return throw_errno(env, "uv_poll_init", EINVAL);
  }
  s->poll.data = s;
  s->handle_open = 1;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  s->polling = 1;

  if (napi_create_external(env, s, finalize_sock, NULL, &ext) != napi_ok) {
    do_close(env, s);
    return NULL;
  }
  return ext;
}

/* Fills a msghdr for one outgoing packet; cmsg carries the per-packet TTL / hop limit. */
static void fill_out(sock_t *s, struct msghdr *h, struct iovec *iov, struct sockaddr_storage *to, socklen_t tolen,
                     void *data, size_t len, int ttl, unsigned char *ctrl) {
  memset(h, 0, sizeof *h);
  iov->iov_base = data;
  iov->iov_len = len;
  h->msg_name = to;
  h->msg_namelen = tolen;
  h->msg_iov = iov;
  h->msg_iovlen = 1;
  if (ttl > 0) {
    struct cmsghdr *c;
    h->msg_control = ctrl;
    h->msg_controllen = CMSG_SPACE(sizeof(int));
    memset(ctrl, 0, CMSG_SPACE(sizeof(int)));
    c = CMSG_FIRSTHDR(h);
    c->cmsg_level = s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    c->cmsg_type = s->family == AF_INET ? IP_TTL : IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &ttl, sizeof ttl);
  }
}

/* Errors that may be a stale asynchronous error (an earlier ICMP error stored in sk_err) that
 * the kernel reports on the next send and then forgets: worth one retry. */
static int maybe_async_error(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENOPROTOOPT ||
         e == EPROTO || e == ENONET;
}

/* Reads {data, address, port?, ttl?} of one outgoing packet. Returns an error message or NULL. */
static const char *read_out(napi_env env, sock_t *s, napi_value data, napi_value addr, napi_value port_v, napi_value ttl_v,
                            void **buf, size_t *len, struct sockaddr_storage *to, socklen_t *tolen, int *ttl) {
  bool isbuf = false;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  int port = 0;
  napi_is_buffer(env, data, &isbuf);
  if (!isbuf) {
    bool istyped = false;
    napi_is_typedarray(env, data, &istyped);
    if (!istyped) return "data must be a Buffer or Uint8Array";
    {
      napi_typedarray_type tt;
      size_t n, off;
      napi_value ab;
      napi_get_typedarray_info(env, data, &tt, &n, buf, &ab, &off);
      if (tt != napi_uint8_array) return "data must be a Buffer or Uint8Array";
      *len = n;
    }
  } else {
    napi_get_buffer_info(env, data, buf, len);
  }
  if (!get_str(env, addr, text, sizeof text)) return "address must be an IP address string";
  if (port_v && !is_nullish(env, port_v)) {
    if (!get_int(env, port_v, &port) || port < 0 || port > 65535) return "port must be 0..65535";
  }
  /* Raw sockets take no port (IPv6 raw would read it as the protocol number). */
  if (s->mode == MODE_RAW) port = 0;
  *ttl = 0;
  if (ttl_v && !is_nullish(env, ttl_v)) {
    if (!get_int(env, ttl_v, ttl) || *ttl < 1 || *ttl > 255) return "ttl must be 1..255";
  }
  if (!parse_addr(s, text, port, to, tolen))
    return s->family == AF_INET ? "address is not an IPv4 address" : "address is not an IPv6 address";
  return NULL;
}

/* send(handle, data, address, port?, ttl?) → send time (ms since epoch) */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], out;
  sock_t *s;
  void *buf;
  size_t len;
  struct sockaddr_storage to;
  socklen_t tolen;
  int ttl;
  const char *bad;
  struct msghdr h;
  struct iovec iov;
  unsigned char ctrl[CMSG_SPACE(sizeof(int))];
  int64_t t;
  ssize_t r;

  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_type(env, "send(handle, data, address, port?, ttl?)");
  s = get_sock(env, argv[0]);
  if (!s) return throw_type(env, "not a socket handle");
  if (s->closed) return throw_errno(env, "send on a closed socket", EBADF);
  bad = read_out(env, s, argv[1], argv[2], argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, &buf, &len, &to, &tolen, &ttl);
  if (bad) return throw_type(env, bad);
  fill_out(s, &h, &iov, &to, tolen, buf, len, ttl, ctrl);
  for (int attempt = 0;; attempt++) {
    t = now_ns();
    r = sendmsg(s->fd, &h, MSG_DONTWAIT);
    if (r >= 0) break;
    if (errno == EINTR) continue;
    if (attempt == 0 && maybe_async_error(errno)) continue;
    return throw_errno(env, "sendmsg", errno);
  }
  napi_create_double(env, to_ms(t), &out);
  return out;
}

/*
 * sendBatch(handle, packets: {data, address, port?, ttl?}[]) → (number | string)[]
 * One entry per packet processed, in order: its send time, or the errno name when that packet
 * failed. A result shorter than the input means the send buffer filled (EAGAIN/ENOBUFS): the
 * caller retries the rest later. All packets of one sendmmsg call share the time taken right
 * before that call.
 */
static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  sock_t *s;
  uint32_t n = 0, done = 0;
  bool isarr = false;
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  struct sockaddr_storage tos[BATCH];
  unsigned char ctrls[BATCH][CMSG_SPACE(sizeof(int))];

  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_type(env, "sendBatch(handle, packets)");
  s = get_sock(env, argv[0]);
  if (!s) return throw_type(env, "not a socket handle");
  if (s->closed) return throw_errno(env, "send on a closed socket", EBADF);
  napi_is_array(env, argv[1], &isarr);
  if (!isarr) return throw_type(env, "packets must be an array");
  napi_get_array_length(env, argv[1], &n);
  napi_create_array(env, &result);

  while (done < n) {
    uint32_t k = n - done < BATCH ? n - done : BATCH;
    int retried = 0;
    for (uint32_t i = 0; i < k; i++) {
      napi_value p, d, a, po, tt;
      void *buf;
      size_t len;
      socklen_t tolen;
      int ttl;
      const char *bad;
      napi_get_element(env, argv[1], done + i, &p);
      d = get_prop(env, p, "data");
      a = get_prop(env, p, "address");
      if (!d || !a) return throw_type(env, "each packet needs data and address");
      po = get_prop(env, p, "port");
      tt = get_prop(env, p, "ttl");
      bad = read_out(env, s, d, a, po, tt, &buf, &len, &tos[i], &tolen, &ttl);
      if (bad) return throw_type(env, bad);
      fill_out(s, &msgs[i].msg_hdr, &iovs[i], &tos[i], tolen, buf, len, ttl, ctrls[i]);
      msgs[i].msg_len = 0;
    }
    {
      uint32_t off = 0;
      while (off < k) {
        int64_t t = now_ns();
        int r = sendmmsg(s->fd, msgs + off, k - off, MSG_DONTWAIT);
        if (r > 0) {
          napi_value tv;
          napi_create_double(env, to_ms(t), &tv);
          for (int j = 0; j < r; j++) napi_set_element(env, result, done + off + (uint32_t)j, tv);
          off += (uint32_t)r;
          retried = 0;
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) return result;
        if (r < 0 && !retried && maybe_async_error(errno)) {
          retried = 1;
          continue;
        }
        {
          /* This packet failed on its own (e.g. EACCES for a broadcast address): note it and go on. */
          const char *name = strerrorname_np(r < 0 ? errno : EIO);
          napi_value ev;
          napi_create_string_utf8(env, name ? name : "EIO", NAPI_AUTO_LENGTH, &ev);
          napi_set_element(env, result, done + off, ev);
          off++;
          retried = 0;
        }
      }
    }
    done += k;
  }
  return result;
}

/* bind(handle, address, port) — for dgram ICMP sockets the port is the echo identifier. */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  sock_t *s;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  int port = 0;
  struct sockaddr_storage ss;
  socklen_t len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_type(env, "bind(handle, address, port?)");
  s = get_sock(env, argv[0]);
  if (!s) return throw_type(env, "not a socket handle");
  if (s->closed) return throw_errno(env, "bind on a closed socket", EBADF);
  if (!get_str(env, argv[1], text, sizeof text)) return throw_type(env, "address must be an IP address string");
  if (argc > 2 && !is_nullish(env, argv[2]) && (!get_int(env, argv[2], &port) || port < 0 || port > 65535))
    return throw_type(env, "port must be 0..65535");
  if (!parse_addr(s, text, s->mode == MODE_RAW ? 0 : port, &ss, &len)) return throw_type(env, "address does not match the socket's family");
  if (bind(s->fd, (struct sockaddr *)&ss, len) != 0) return throw_errno(env, "bind", errno);
  return NULL;
}

/* localAddress(handle) → {address, port} */
static napi_value js_local_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], obj, a;
  sock_t *s;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int port;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  s = argc ? get_sock(env, argv[0]) : NULL;
  if (!s) return throw_type(env, "not a socket handle");
  if (s->closed) return throw_errno(env, "getsockname on a closed socket", EBADF);
  memset(&ss, 0, sizeof ss);
  if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, "getsockname", errno);
  napi_create_object(env, &obj);
  a = addr_value(env, (struct sockaddr *)&ss, &port);
  napi_set_named_property(env, obj, "address", a);
  set_num(env, obj, "port", port < 0 ? 0 : port);
  return obj;
}

/* ref(handle, on: boolean) — whether an open socket keeps the process alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  sock_t *s;
  bool on = true;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  s = argc ? get_sock(env, argv[0]) : NULL;
  if (!s) return throw_type(env, "not a socket handle");
  if (argc > 1) napi_get_value_bool(env, argv[1], &on);
  if (!s->closed && s->handle_open) {
    if (on) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

/* close(handle) — stops polling and closes the fd; a second call does nothing. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sock_t *s;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  s = argc ? get_sock(env, argv[0]) : NULL;
  if (!s) return throw_type(env, "not a socket handle");
  do_close(env, s);
  return NULL;
}

/* now() → the current time on the clock and epoch of every other time of this module. */
static napi_value js_now(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_double(env, to_ms(now_ns()), &v);
  return v;
}

static napi_value Init(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"open", js_open},   {"send", js_send},         {"sendBatch", js_send_batch},
      {"bind", js_bind},   {"localAddress", js_local_address}, {"ref", js_ref},
      {"close", js_close}, {"now", js_now},       {"receiveStats", js_receive_stats},
  };
  napi_value v;
  if (!epoch_ns) epoch_ns = now_ns();
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &v);
    napi_set_named_property(env, exports, fns[i].name, v);
  }
  /* Wall-clock ms (Unix epoch) of time 0, to turn module times into dates. */
  napi_create_double(env, (double)epoch_ns / 1e6, &v);
  napi_set_named_property(env, exports, "epochMs", v);
  /* Packets per receive call: the slots of a batch buffer (see the layout at the top). */
  napi_create_int32(env, BATCH, &v);
  napi_set_named_property(env, exports, "batchSize", v);
  echo_set_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
