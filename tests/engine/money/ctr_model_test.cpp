#include "engine/money/ctr_model.h"

#include <catch2/catch.hpp>

#include "engine/core/campaign.h"

namespace vetrina::engine {
namespace {

TEST_CASE("a new creative starts at the prior and moves toward its own record") {
  CtrModel model(CtrPrior{.ctr_ppm = 10'000, .weight = 100});
  CHECK(model.Predict("c", "cr", "app") == 10'000);
  // 1000 impressions, 50 clicks (5%): (50 + 1) / (1000 + 100).
  model.RecordImpression("c", "cr", "app", 1000);
  model.RecordClick("c", "cr", "app", 50);
  CHECK(model.Predict("c", "cr", "app") == 46'363);
  // Keys are per campaign x creative x app.
  CHECK(model.Predict("c", "cr", "other-app") == 10'000);
  CHECK(model.Predict("c", "cr2", "app") == 10'000);
  CHECK(CtrModel::KeyOf("ab", "c", "") != CtrModel::KeyOf("a", "bc", ""));
}

TEST_CASE("predictions are clamped to the cap the auction's ranking relies on") {
  CtrModel model;
  model.RecordImpression("c", "cr", "app", 10);
  model.RecordClick("c", "cr", "app", 10'000);  // clicks without their impressions
  CHECK(model.Predict("c", "cr", "app") <= kMaxPredictedCtrPpm);
  model.RecordImpression("z", "cr", "app", 1'000'000'000);
  CHECK(model.Predict("z", "cr", "app") >= 1);
}

TEST_CASE("counts survive a save and restore by key") {
  CtrModel a;
  a.RecordImpression("c", "cr", "app", 300);
  a.RecordClick("c", "cr", "app", 9);
  CtrModel b;
  a.ForEach([&](uint64_t key, const CtrCounts& counts) { b.Restore(key, counts); });
  CHECK(b.Predict("c", "cr", "app") == a.Predict("c", "cr", "app"));
  CHECK(b.Counts("c", "cr", "app").clicks == 9);
}

}  // namespace
}  // namespace vetrina::engine
