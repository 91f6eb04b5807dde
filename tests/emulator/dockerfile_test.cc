// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The Dockerfile instruction parser of the emulator's image builds (control/dockerfile.h).
#include "control/dockerfile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace modal::emulator {
namespace {

using Kind = DockerfileInstruction::Kind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

DockerfileInstruction parse_ok(std::string const& command) {
  auto parsed = parse_dockerfile_instruction(command);
  EXPECT_TRUE(parsed.ok()) << command << ": " << parsed.status();
  return parsed.ok() ? *parsed : DockerfileInstruction{};
}

std::string error_of(std::string const& command) {
  auto parsed = parse_dockerfile_instruction(command);
  EXPECT_FALSE(parsed.ok()) << command;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(DockerfileTest, FromTakesTheReferenceAndIgnoresTheStageName) {
  auto from = parse_ok("FROM alpine:3.21 AS build");
  EXPECT_EQ(from.kind, Kind::kFrom);
  EXPECT_EQ(from.value, "alpine:3.21");
  EXPECT_EQ(parse_ok("from base").value, "base");  // the keyword is case-insensitive
}

TEST(DockerfileTest, RunInShellAndExecForm) {
  auto shell = parse_ok("RUN apt-get update && \\\n    apt-get install -y curl");
  EXPECT_EQ(shell.kind, Kind::kRun);
  EXPECT_TRUE(shell.shell_form);
  // Continuation lines are joined, as Docker joins them.
  EXPECT_THAT(shell.argv, ElementsAre("", "apt-get update &&     apt-get install -y curl"));
  auto exec = parse_ok(R"(RUN ["/bin/echo", "a b", "c\"d"])");
  EXPECT_FALSE(exec.shell_form);
  EXPECT_THAT(exec.argv, ElementsAre("/bin/echo", "a b", "c\"d"));
  // Not a JSON array of strings: shell form.
  EXPECT_TRUE(parse_ok("RUN [ -f /x ] && echo yes").shell_form);
  EXPECT_TRUE(parse_ok("RUN [1, 2]").shell_form);
}

TEST(DockerfileTest, EnvAndArgPairs) {
  EXPECT_THAT(
      parse_ok(R"(ENV A=1 B="two words" C=a\ b D='$lit')").pairs,
      ElementsAre(Pair("A", "1"), Pair("B", "two words"), Pair("C", "a b"), Pair("D", "$lit")));
  EXPECT_THAT(parse_ok("ENV NAME value with spaces").pairs,
              ElementsAre(Pair("NAME", "value with spaces")));
  EXPECT_THAT(parse_ok("ARG VERSION=1.2 DEBUG").pairs,
              ElementsAre(Pair("VERSION", "1.2"), Pair("DEBUG", "")));
  EXPECT_THAT(error_of("ENV 1BAD=x"), HasSubstr("not a variable name"));
  EXPECT_THAT(error_of("ENV A=\"open"), HasSubstr("unterminated quote"));
  EXPECT_THAT(error_of("ENV"), HasSubstr("needs an argument"));
  EXPECT_THAT(error_of("ENV A=1 B"), HasSubstr("not NAME=VALUE"));
}

TEST(DockerfileTest, ConfigInstructions) {
  EXPECT_EQ(parse_ok("WORKDIR /srv/$APP").value, "/srv/$APP");
  EXPECT_EQ(parse_ok("USER nobody:nogroup").kind, Kind::kUser);
  EXPECT_THAT(parse_ok(R"(CMD ["python", "-m", "http.server"])").argv,
              ElementsAre("python", "-m", "http.server"));
  EXPECT_TRUE(parse_ok("ENTRYPOINT exec my-server").shell_form);
  EXPECT_THAT(parse_ok(R"(SHELL ["/bin/bash", "-c"])").argv, ElementsAre("/bin/bash", "-c"));
  EXPECT_THAT(error_of("SHELL /bin/bash -c"), HasSubstr("JSON array"));
  for (char const* noop : {"LABEL a=b", "EXPOSE 8080", "VOLUME /data", "STOPSIGNAL SIGINT",
                           "# a comment", "", "   "}) {
    EXPECT_EQ(parse_ok(noop).kind, Kind::kNoop) << noop;
  }
}

TEST(DockerfileTest, UnsupportedInstructionsSayWhy) {
  EXPECT_THAT(error_of("COPY . /app"), HasSubstr("local build context"));
  EXPECT_THAT(error_of("ADD https://x/y /y"), HasSubstr("local build context"));
  EXPECT_THAT(error_of("COPY --from=builder /out /out"), HasSubstr("COPY --from="));
  EXPECT_THAT(error_of("ONBUILD RUN true"), HasSubstr("unsupported instruction ONBUILD"));
  EXPECT_THAT(error_of("RUN --mount=type=cache,target=/x true"), HasSubstr("RUN options"));
  EXPECT_THAT(error_of("RUN"), HasSubstr("needs an argument"));
  EXPECT_THAT(error_of("RUN []"), HasSubstr("empty command"));
}

TEST(DockerfileTest, VariablesExpandAsDockerDoes) {
  std::map<std::string, std::string> const vars = {{"HOME", "/root"}, {"V", "1"}};
  EXPECT_EQ(expand_variables("$HOME/x ${V}y $MISSING.z", vars), "/root/x 1y .z");
  EXPECT_EQ(expand_variables(R"(\$HOME costs $ 5 ${unterminated)", vars),
            "$HOME costs $ 5 ${unterminated");
  EXPECT_EQ(expand_variables("trailing $", vars), "trailing $");
}

}  // namespace
}  // namespace modal::emulator
