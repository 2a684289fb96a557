// The current thread's budget.
#include "core/budget.h"

namespace parley {

namespace {
thread_local Budget* g_current = nullptr;
}

BudgetScope::BudgetScope(Budget& budget) : previous_(g_current) { g_current = &budget; }

BudgetScope::~BudgetScope() { g_current = previous_; }

bool budget_spent() { return g_current && g_current->spent(); }

Budget::Clock::time_point budget_deadline() {
  return g_current ? g_current->deadline() : Budget::Clock::time_point::max();
}

void spend_budget(const std::string& why) {
  if (g_current) g_current->spend(why);
}

}  // namespace parley
