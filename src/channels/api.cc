// The API's wiring: the route groups on one router, the shared message path, the pools.
#include "channels/api.h"

#include "channels/admin/event_routes.h"
#include "channels/admin/ops_routes.h"
#include "channels/native/conversation_routes.h"
#include "channels/rasa_rest/rasa_routes.h"

namespace parley::channels {

Api::Api(ApiOptions options, std::shared_ptr<Conversations> conversations, std::shared_ptr<Admin> admin,
         ops::ServerMetrics& metrics, events::Relay* relay)
    : options_(std::move(options)),
      conversations_(std::move(conversations)),
      admin_(std::move(admin)),
      metrics_(metrics),
      router_(options_.router, metrics,
              Router::Bots{[this](std::string_view bot) { return conversations_->has_bot(bot); },
                           [this](ApiError* error) { return single_bot(error); }},
              blocking_pool_.get_executor()),
      submitter_(options_.submit, conversations_, metrics, draining_),
      websocket_(router_, submitter_, metrics) {
  unsigned retry = options_.submit.retry_after_s;
  add_ops_routes(router_, OpsDeps{admin_.get(), &metrics_, relay, &draining_, retry, reload_pool_.get_executor(),
                                  &reloading_});
  add_conversation_routes(router_, submitter_, *admin_, retry);
  add_websocket_routes(router_);
  add_rasa_routes(router_, submitter_, *admin_, retry);
  add_event_routes(router_, relay, retry);
}

Api::~Api() {
  reload_pool_.join();
  blocking_pool_.join();
}

std::optional<std::string> Api::single_bot(ApiError* error) const {
  auto bots = admin_->bots();
  if (bots.size() == 1) return bots.front().name;
  *error = ApiError{404, "unknown_bot",
                    std::to_string(bots.size()) + " bots are served; name one in the path (/bots/{bot}/...)"};
  return std::nullopt;
}

}  // namespace parley::channels
