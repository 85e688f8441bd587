#include "adapters/http/http_types.h"

#include "base/json_writer.h"

namespace vetrina::http {

void SetError(int status, std::string_view message, HttpResponse* response) {
  response->status = status;
  response->content_type = "application/json";
  response->body = "{\"error\":\"";
  AppendJsonEscaped(message, &response->body);
  response->body.append("\"}");
}

void Handler::Shed(const HttpRequest& /*request*/, HttpResponse* response) {
  SetError(503, "overloaded", response);
  response->headers.emplace_back("Retry-After", "1");
}

}  // namespace vetrina::http
