// Decoded consent strings as JSON (field names as in the IAB libraries: camelCase), for the
// `vetrina consent` command an operator uses to see what a string says, and for the tests that
// hold the decoders to IAB's published vectors.
//
//   std::string json = TcfJson(*DecodeTcf(text));
#pragma once

#include <string>

#include "engine/privacy/tcf.h"
#include "engine/privacy/us_privacy.h"

namespace vetrina::privacy {

std::string TcfJson(const engine::TcfString& tc);
std::string UsPrivacyJson(const engine::UsPrivacy& usp);
std::string GppJson(const engine::GppString& gpp);
std::string UsNatJson(const engine::UsNat& usnat);

}  // namespace vetrina::privacy
