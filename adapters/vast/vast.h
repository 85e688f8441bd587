// What a campaign upload checks and keeps of a video creative's VAST document (IAB VAST 2.0 to
// 4.3), so the bid path serves it without parsing XML:
//
//   std::vector<std::string> problems;
//   VastSummary vast = ReadVast(xml, &problems);
//   // problems empty: vast.protocol == 11 (VAST 4.1), vast.linear_durations_ms == {15000}, ...
//
// Checked: well-formed XML (xml_scanner.h); a <VAST> root with a known `version`; at least one
// <Ad>, each with one <InLine> or <Wrapper>; each of those with <AdSystem> first and at least one
// <Impression>, a Wrapper with its <VASTAdTagURI>, an InLine with a Linear creative whose
// <Duration> reads HH:MM:SS or HH:MM:SS.mmm and whose MediaFiles carry width and height.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/bid_request.h"

namespace vetrina::vast {

struct VastSummary {
  std::string version;  // the root's `version`: "2.0", "3.0", "4.0", "4.1", "4.2" or "4.3"
  // OpenRTB 2.6 list 5.8 / AdCOM "Creative Subtypes - Audio/Video": 2, 3, 7, 11, 13, 15 for an
  // InLine document, 5, 6, 8, 12, 14, 16 when any of its ads is a Wrapper.
  int protocol = 0;
  std::vector<int64_t> linear_durations_ms;  // each InLine Linear's <Duration>
  std::vector<engine::Size> media_sizes;     // distinct MediaFile sizes, in document order
  // Where a tracker <Impression> may go in each InLine/Wrapper: the offset of its first
  // <Impression>. Another Impression may stand right before one in every version's schema
  // (Impression is 1..unbounded), whatever comes before it: AdSystem, Error and Extensions in
  // 4.x; AdTitle, Description, Survey, Error too in an InLine of 2.0 and 3.0. Ascending.
  std::vector<uint32_t> impression_offsets;
  // Whether any element's text or attribute is an http:// URL (a media file, a tracker, a click),
  // namespace declarations aside: the ad then loads something over plain http.
  bool loads_http = false;
};

// The VAST version's list 5.8 value: `wrapper` picks the Wrapper variant. 0 when unknown.
int VastProtocol(std::string_view version, bool wrapper);

// Reads `xml`; every problem found is appended to `problems` (none: the document passes).
VastSummary ReadVast(std::string_view xml, std::vector<std::string>* problems);

// "HH:MM:SS" or "HH:MM:SS.mmm" (VAST's Duration) in milliseconds; -1 when malformed.
int64_t ParseVastDuration(std::string_view text);

}  // namespace vetrina::vast
