/*
 * Native counting sink for the benchmark (built by sink.ts with the system C compiler).
 * Binds N UDP sockets on 127.0.0.1 with large receive buffers, drains them with recvmmsg(), and counts
 * RTP packets per SSRC (SRTP leaves the RTP header in clear, so nothing is decrypted) and RTCP packets.
 * Protocol on stdio: prints one line "ports p1 p2 ..." when ready; for each "s" line on stdin prints one
 * JSON line {"rtp":{"ssrc":count,...},"rtcp":n,"bytes":n,"cpuUs":n}; exits on "q" or end of stdin.
 *
 * Modes (argv[3]): "sleep" (default) drains every socket, then sleeps 1 ms without waiting on the
 * sockets, so the sender never has to wake it (on loopback the sender pays for the receiver's wake-up,
 * which a viewer on another machine never costs the server); "wake" blocks in poll() on the sockets
 * and is woken by every burst, as a naive receiver is.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SOCKETS 64
#define BATCH 64
#define SLOTS 65536 /* open addressing; the benchmark uses at most a few thousand SSRCs */
#define PKT 2048

static uint32_t keys[SLOTS];
static uint64_t counts[SLOTS];
static uint8_t used[SLOTS];
static uint64_t rtcp, bytes;

static void count_ssrc(uint32_t ssrc) {
  uint32_t i = (ssrc * 2654435761u) & (SLOTS - 1);
  while (used[i] && keys[i] != ssrc) i = (i + 1) & (SLOTS - 1);
  if (!used[i]) {
    used[i] = 1;
    keys[i] = ssrc;
  }
  counts[i]++;
}

static void snapshot(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  uint64_t cpu = (uint64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_sec * 1000000 +
                 ru.ru_stime.tv_usec;
  printf("{\"rtp\":{");
  int first = 1;
  for (uint32_t i = 0; i < SLOTS; i++) {
    if (!used[i]) continue;
    printf("%s\"%u\":%llu", first ? "" : ",", keys[i], (unsigned long long)counts[i]);
    first = 0;
  }
  printf("},\"rtcp\":%llu,\"bytes\":%llu,\"cpuUs\":%llu}\n", (unsigned long long)rtcp, (unsigned long long)bytes,
         (unsigned long long)cpu);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  int rcvbuf = argc > 2 ? atoi(argv[2]) : 8 << 20;
  int wake = argc > 3 && strcmp(argv[3], "wake") == 0;
  if (n < 1 || n > MAX_SOCKETS) return 2;
  struct pollfd fds[MAX_SOCKETS + 1];
  printf("ports");
  for (int s = 0; s < n; s++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return 3;
    /* SO_RCVBUFFORCE passes net.core.rmem_max when running as root; otherwise fall back to the capped size. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 4;
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    printf(" %u", ntohs(addr.sin_port));
    fds[s] = (struct pollfd){.fd = fd, .events = POLLIN};
  }
  printf("\n");
  fflush(stdout);
  fds[n] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};

  static char bufs[BATCH][PKT];
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iovs[i] = (struct iovec){.iov_base = bufs[i], .iov_len = PKT};
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[i], .msg_iovlen = 1}};
  }
  char line[64];
  for (;;) {
    /* In sleep mode only stdin is watched, with a 1 ms timeout: that is the sleep between drains. */
    int polled = wake ? poll(fds, n + 1, -1) : poll(&fds[n], 1, 1);
    if (polled < 0) {
      if (errno == EINTR) continue;
      return 5;
    }
    for (int s = 0; s < n; s++) {
      if (wake && !(fds[s].revents & POLLIN)) continue;
      for (;;) {
        int got = recvmmsg(fds[s].fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) break;
        for (int i = 0; i < got; i++) {
          unsigned len = msgs[i].msg_len;
          const uint8_t *p = (const uint8_t *)bufs[i];
          bytes += len;
          if (len < 12) continue;
          /* RTCP packet types 200-206 sit where RTP keeps its marker bit and payload type. */
          if (p[1] >= 200 && p[1] <= 206) {
            rtcp++;
            continue;
          }
          count_ssrc((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11]);
        }
        if (got < BATCH) break;
      }
    }
    if (fds[n].revents & (POLLIN | POLLHUP)) {
      if (!fgets(line, sizeof line, stdin) || line[0] == 'q') return 0;
      if (line[0] == 's') snapshot();
    }
  }
}
