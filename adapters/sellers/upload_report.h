// What an upload of an app-ads.txt or a sellers.json kept and what it skipped. Both formats are
// read leniently, as their specifications ask of consumers: a bad line or seller entry is
// skipped and counted, the rest is used.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vetrina::sellers {

struct UploadProblem {
  std::string at;  // "line 7" (app-ads.txt) or a JSON pointer, "/sellers/3/seller_type"
  std::string problem;
};

struct UploadReport {
  static constexpr size_t kMaxProblems = 100;  // the first ones; `skipped` counts them all
  size_t accepted = 0;                         // records or sellers kept
  size_t skipped = 0;
  std::vector<UploadProblem> problems;

  void Skip(std::string at, std::string problem) {
    ++skipped;
    if (problems.size() < kMaxProblems) problems.push_back({std::move(at), std::move(problem)});
  }
  // {"accepted": N, "skipped": N, "problems": [{"at": ..., "problem": ...}]}, members of an
  // object the caller has begun.
  template <typename Writer>
  void WriteMembers(Writer& w) const {
    w.Key("accepted");
    w.Int(static_cast<int64_t>(accepted));
    w.Key("skipped");
    w.Int(static_cast<int64_t>(skipped));
    w.Key("problems");
    w.BeginArray();
    for (const UploadProblem& p : problems) {
      w.BeginObject();
      w.Key("at");
      w.String(p.at);
      w.Key("problem");
      w.String(p.problem);
      w.EndObject();
    }
    w.EndArray();
  }
};

}  // namespace vetrina::sellers
