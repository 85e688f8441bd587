// Writes N signed win-notice URL paths for a running bidder's data dir, one per line, each for
// a distinct bid of CAMPAIGN, for driving /ev/win at full speed with wrk (perf/notice_bench.py).
// The bids were never made, so the bidder charges them without a reservation: the campaign
// should have no budget.
//
//   build/perf/mint_notices var/data n-bench 600000 /tmp/notices.txt
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "adapters/money/secrets.h"
#include "base/strings.h"
#include "engine/money/notice_token.h"

int main(int argc, char** argv) {
  using namespace vetrina;
  if (argc != 5) {
    std::fprintf(stderr, "usage: mint_notices DATA_DIR CAMPAIGN N OUT_FILE\n");
    return 2;
  }
  absl::StatusOr<std::string> secret = money::LoadOrCreateSecret(
      std::string(argv[1]) + "/notice.key",
      [](size_t) -> std::string { std::abort(); });  // the bidder created it: never here
  if (!secret.ok()) {
    std::fprintf(stderr, "mint_notices: %s\n", std::string(secret.status().message()).c_str());
    return 1;
  }
  const vetrina::HmacSha256Key key(money::DeriveKey(*secret, "notice-token"));
  const long n = std::atol(argv[3]);
  std::ofstream out(argv[4]);
  const absl::Time now = absl::Now();
  for (long i = 0; i < n; ++i) {
    engine::NoticeToken token{.auction_id = StrCat("bench-", i),
                              .bid_id = StrCat("bench-", i, "-0"),
                              .campaign_id = argv[2],
                              .creative_id = "b",
                              .app = "com.bench.app",
                              .bid_price = 1'000'000,
                              .issued = now,
                              .expires = now + absl::Hours(1)};
    out << "/ev/win?t=" << engine::SignNoticeToken(token, key) << "&p=0.5\n";
  }
  return out ? 0 : 1;
}
