// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace modal::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Captured {
  std::vector<std::pair<LogLevel, std::string>> lines{};
  LogSink sink() {
    return [this](LogLevel l, std::string_view m) { lines.emplace_back(l, std::string(m)); };
  }
};

TEST(LoggingTest, LevelFiltersAndLevelsAreReported) {
  Captured c;
  auto logger = make_logger(c.sink(), LogLevel::kWarn, std::make_shared<Redactor>());
  logger->debug("d");
  logger->info("i");
  logger->warn("w");
  logger->error("e");
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].first, LogLevel::kWarn);
  EXPECT_EQ(c.lines[0].second, "w");
  EXPECT_EQ(c.lines[1].first, LogLevel::kError);
}

TEST(LoggingTest, RegisteredSecretsAreScrubbed) {
  Captured c;
  auto redactor = std::make_shared<Redactor>();
  redactor->add("as-very-secret");
  auto logger = make_logger(c.sink(), LogLevel::kDebug, redactor);
  logger->info("token secret is {} and again {}", "as-very-secret", "as-very-secret");
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_THAT(c.lines[0].second, Not(HasSubstr("as-very-secret")));
  EXPECT_EQ(c.lines[0].second, "token secret is [REDACTED] and again [REDACTED]");
}

TEST(LoggingTest, ThrowingSinkDoesNotPropagate) {
  auto logger = make_logger([](LogLevel, std::string_view) { throw std::runtime_error("x"); },
                            LogLevel::kDebug, std::make_shared<Redactor>());
  EXPECT_NO_THROW(logger->error("hello"));
}

}  // namespace
}  // namespace modal::internal
