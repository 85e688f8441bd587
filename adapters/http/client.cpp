#include "adapters/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "base/strings.h"

namespace vetrina::http {

absl::StatusOr<ClientResponse> HttpCall(
    const std::string& method, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    absl::Duration timeout) {
  namespace beast = boost::beast;
  namespace bhttp = boost::beast::http;
  using tcp = boost::asio::ip::tcp;

  constexpr std::string_view kScheme = "http://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    return absl::InvalidArgumentError(StrCat("only http:// URLs are supported: ", url));
  }
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("URL needs host:port");
  const std::string host = authority.substr(0, colon);
  const std::string port = authority.substr(colon + 1);

  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return absl::UnavailableError(StrCat("resolve ", authority, ": ", ec.message()));
  stream.expires_after(absl::ToChronoNanoseconds(timeout));
  stream.connect(endpoints, ec);
  if (ec) return absl::UnavailableError(StrCat("connect ", authority, ": ", ec.message()));

  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, authority);
  req.set(bhttp::field::user_agent, "vetrina-cli");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  if (ec) return absl::UnavailableError(StrCat("write: ", ec.message()));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(stream, buffer, parser, ec);
  if (ec == beast::error::timeout) return absl::DeadlineExceededError("timed out");
  if (ec) return absl::UnavailableError(StrCat("read: ", ec.message()));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return ClientResponse{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace vetrina::http
