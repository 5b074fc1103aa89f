// Differential check of the patched SendTimeHistory (patches/0003-send-time-history-ring.patch):
// random operation sequences as a transport and its receiver's feedback produce them, every result
// folded into one checksum per scenario; send-time-history-check.sh runs it with
// SEDUTA_WORKER_SEND_HISTORY=map and =ring and compares. `bench` and `feedback` time the per-packet
// path of 200 histories (feedback-less PlainTransport viewers; browsers acknowledging, 1% lost).
#include "modules/congestion_controller/rtp/send_time_history.h"
#include "modules/rtp_rtcp/include/rtp_rtcp_defines.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

using webrtc::PacketFeedback;
using webrtc::SendTimeHistory;

static uint64_t h = 1469598103934665603ull;
static void mix(int64_t v) { h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ull; }
static void mixFb(const PacketFeedback& p) {
  mix(p.creation_time_ms); mix(p.arrival_time_ms); mix(p.send_time_ms); mix(p.sequence_number);
  mix(p.long_sequence_number); mix(p.payload_size); mix(p.unacknowledged_data);
  mix(p.pacing_info.probe_cluster_id);
}

static void scenario(uint32_t seed, int64_t ageLimit, int steps, double feedbackEvery, double lossRate) {
  std::mt19937 rng(seed);
  auto u = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  auto p = [&](double x) { return std::uniform_real_distribution<double>(0, 1)(rng) < x; };
  SendTimeHistory hist(ageLimit);
  int64_t now = 1000;
  uint16_t seq = static_cast<uint16_t>(u(0, 65535));
  uint16_t fbBase = seq;
  for (int i = 0; i < steps; i++) {
    now += u(0, 6);
    webrtc::PacedPacketInfo pacing;
    if (p(0.05)) pacing.probe_cluster_id = u(1, 5);
    PacketFeedback pf(now, seq, static_cast<size_t>(u(0, 1200)), 0, 0, pacing);
    hist.RemoveOld(now);
    hist.AddNewPacket(pf);
    if (p(0.02)) hist.AddUntracked(static_cast<size_t>(u(1, 100)), now);
    if (!p(0.01)) mix(static_cast<int>(hist.OnSentPacket(seq, now + u(0, 2))));
    if (p(0.05)) mix(static_cast<int>(hist.OnSentPacket(static_cast<uint16_t>(seq - u(0, 50)), now)));
    if (p(0.3)) {
      auto got = hist.GetPacket(static_cast<uint16_t>(seq - u(0, 300)));
      mix(got.has_value());
      if (got) mixFb(*got);
    }
    mix(hist.GetOutstandingData(0, 0).bytes());
    ++seq;
    if (p(feedbackEvery)) {
      // A feedback covering [fbBase, upto): lost ones looked up without removal, received removed;
      // sometimes it re-reports older packets.
      uint16_t upto = static_cast<uint16_t>(seq - u(0, 20));
      uint16_t from = p(0.1) ? static_cast<uint16_t>(fbBase - u(0, 30)) : fbBase;
      if (static_cast<int16_t>(upto - from) <= 0) continue;
      for (uint16_t s = from; s != upto; ++s) {
        PacketFeedback fb(p(lossRate) ? PacketFeedback::kNotReceived : now + u(0, 50), s);
        bool received = fb.arrival_time_ms != PacketFeedback::kNotReceived;
        mix(hist.GetFeedback(&fb, received));
        mixFb(fb);
      }
      if (static_cast<int16_t>(upto - fbBase) > 0) fbBase = upto;
      auto first = hist.GetFirstUnackedSendTime();
      mix(first.value_or(-7));
    }
  }
  std::printf("seed=%u age=%lld steps=%d fb=%.2f loss=%.2f checksum=%016llx\n", seed,
              static_cast<long long>(ageLimit), steps, feedbackEvery, lossRate,
              static_cast<unsigned long long>(h));
}

// Cost of the per-packet path (add, sent, lookup, in flight) for `transports` feedback-less
// histories with the 60 s window, packets interleaved across transports as in a fan-out.
static void bench(int transports, int seconds, int pps) {
  std::vector<std::unique_ptr<SendTimeHistory>> hs;
  std::vector<uint16_t> seqs(transports, 0);
  for (int t = 0; t < transports; t++) hs.emplace_back(new SendTimeHistory(60000));
  // Fill the 60 s window first (65 s of packets), then time `seconds` more.
  const int64_t warm = 65LL * pps;
  const int64_t packets = static_cast<int64_t>(seconds) * pps;
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < warm + packets; i++) {
    if (i == warm) t0 = std::chrono::steady_clock::now();
    int64_t now = i * 1000 / pps;
    for (int t = 0; t < transports; t++) {
      auto& hist = *hs[t];
      PacketFeedback pf(now, seqs[t], 1200, 0, 0, webrtc::PacedPacketInfo());
      hist.RemoveOld(now);
      hist.AddNewPacket(pf);
      hist.OnSentPacket(seqs[t], now);
      auto got = hist.GetPacket(seqs[t]);
      mix(got->payload_size + hist.GetOutstandingData(0, 0).bytes());
      ++seqs[t];
    }
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("bench transports=%d packets/transport=%lld: %.1f ns per packet\n", transports,
              static_cast<long long>(packets), static_cast<double>(ns) / (packets * transports));
}

// Memory and time with feedback (a browser): every 20 packets a feedback acknowledges them, 1% lost.
static void benchFeedback(int transports, int seconds, int pps) {
  std::vector<std::unique_ptr<SendTimeHistory>> hs;
  std::vector<uint16_t> seqs(transports, 0);
  std::mt19937 rng(7);
  for (int t = 0; t < transports; t++) hs.emplace_back(new SendTimeHistory(60000));
  const int64_t packets = static_cast<int64_t>(seconds) * pps;
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < packets; i++) {
    int64_t now = i * 1000 / pps;
    for (int t = 0; t < transports; t++) {
      auto& hist = *hs[t];
      PacketFeedback pf(now, seqs[t], 1200, 0, 0, webrtc::PacedPacketInfo());
      hist.RemoveOld(now);
      hist.AddNewPacket(pf);
      hist.OnSentPacket(seqs[t], now);
      ++seqs[t];
      if (i % 20 == 19) {
        for (uint16_t s = static_cast<uint16_t>(seqs[t] - 20); s != seqs[t]; ++s) {
          bool lost = rng() % 100 == 0;
          PacketFeedback fb(lost ? PacketFeedback::kNotReceived : now, s);
          mix(hist.GetFeedback(&fb, !lost));
        }
      }
    }
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("feedback bench transports=%d packets/transport=%lld: %.1f ns per packet\n", transports,
              static_cast<long long>(packets), static_cast<double>(ns) / (packets * transports));
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "feedback") {
    benchFeedback(std::atoi(argv[2]), std::atoi(argv[3]), 175);
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "bench") {
    bench(std::atoi(argv[2]), std::atoi(argv[3]), 175);
    return 0;
  }
  for (uint32_t seed = 1; seed <= 40; seed++) {
    scenario(seed, 60000, 20000, 0.0, 0.0);   // never any feedback (PlainTransport sink)
    scenario(seed, 500, 20000, 0.0, 0.0);     // expiry exercised
    scenario(seed, 60000, 20000, 0.05, 0.0);  // feedback, nothing lost
    scenario(seed, 60000, 20000, 0.05, 0.05); // feedback with loss
    scenario(seed, 300, 20000, 0.1, 0.2);     // loss and expiry
    scenario(seed, 60000, 60000, 0.2, 0.01);  // a browser: sparse ring compacted into the map
    scenario(seed, 20000, 60000, 0.3, 0.003); // the same, stragglers expiring from the map
  }
  return 0;
}
