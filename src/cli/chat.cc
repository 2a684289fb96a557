// `parley chat BOTDIR`: an interactive conversation in the terminal. --debug shows the NLU result,
// slot changes and the policy that chose each action.
#include <iostream>

#include "actions/http_action_client.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "dialogue/turn.h"

namespace parley::cli {

namespace {

void print_debug(const dialogue::TurnRunner& turn) {
  for (const auto& e : turn.new_events()) {
    switch (e.type) {
      case dialogue::EventType::kUser: {
        const auto& pd = e.value.as_object();
        const auto& intent = pd.at("intent").as_object();
        std::cout << "  [nlu] intent " << intent.at("name").as_string().c_str() << " ("
                  << intent.at("confidence").to_number<double>() << ")";
        for (const auto& ent : pd.at("entities").as_array())
          std::cout << " " << ent.at("entity").as_string().c_str() << "=" << json::serialize(ent.at("value"));
        std::cout << "\n";
        break;
      }
      case dialogue::EventType::kSlot:
        std::cout << "  [slot] " << e.name << " = " << json::serialize(e.value) << "\n";
        break;
      case dialogue::EventType::kActiveLoop:
        std::cout << "  [loop] " << (e.name.empty() ? "deactivated" : e.name) << "\n";
        break;
      case dialogue::EventType::kAction:
        std::cout << "  [action] " << e.name << (e.policy.empty() ? "" : " (" + dialogue::action_policy_label(e) + ")")
                  << "\n";
        break;
      case dialogue::EventType::kActionExecutionRejected:
        std::cout << "  [rejected] " << e.name << "\n";
        break;
      case dialogue::EventType::kError:
        std::cout << "  [error] " << e.name << ": " << e.text << "\n";
        break;
      default:
        break;
    }
  }
}

}  // namespace

void register_chat(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("chat", "Talk to a bot in the terminal");
  auto dir = std::make_shared<std::string>();
  auto debug = std::make_shared<bool>(false);
  cmd->add_option("BOTDIR", *dir, "the project folder")->required();
  cmd->add_flag("--debug", *debug, "show intent, confidence, entities, slot changes and policies");
  cmd->callback([dir, debug, exit_code] {
    auto bot = load_bot_or_report(*dir, *debug);
    if (!bot) {
      *exit_code = 2;
      return;
    }
    auto client = actions::make_http_action_client();
    dialogue::Tracker tracker("chat", &bot->domain());
    std::cout << "Chatting with '" << bot->name << "'. Type a message; /restart starts over; Ctrl-D quits.\n";
    std::string line;
    int n = 0;
    while (std::cout << "you> " << std::flush, std::getline(std::cin, line)) {
      if (line.empty()) continue;
      dialogue::TurnInput in;
      in.text = line;
      in.message_id = "chat-" + std::to_string(++n);
      in.input_channel = "cmdline";
      dialogue::TurnRunner turn(bot, tracker, in);
      turn.run_blocking(client.get());
      if (*debug) print_debug(turn);
      for (const auto& m : turn.messages()) {
        std::cout << "bot> " << m.text << "\n";
        for (const auto& kv : m.data) std::cout << "     " << kv.key() << ": " << json::serialize(kv.value()) << "\n";
      }
    }
    std::cout << "\n";
    *exit_code = 0;
  });
}

}  // namespace parley::cli
