// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Exec output (ExecOutput over ResumableStream and BytePump) and exec waits
// (wait_for_exit), driven through a fake ExecChannel with virtual time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "fakes.h"
#include "internal/exec_stdio.h"
#include "internal/exec_wait.h"
#include "internal/resumable_stream.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeExecChannel;
using testing::FakeTarget;
using testing::ScriptedReader;
using Reader = ScriptedReader<tcr::TaskExecStdioReadResponse>;

constexpr auto kStdout = tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT;

tcr::TaskExecStdioReadResponse chunk(std::string data) {
  tcr::TaskExecStdioReadResponse r;
  r.set_data(std::move(data));
  return r;
}

std::string read_all(ExecOutput& out) {
  std::string all;
  std::string piece;
  while (out.next(piece)) all += piece;
  return all;
}

/// A server holding `data` that breaks every stream after `every` bytes.
struct BreakingServer {
  std::string data{};
  std::size_t every{};
  std::vector<std::uint64_t> offsets{};  // requested by each open

  std::unique_ptr<grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse>> open(
      tcr::TaskExecStdioReadRequest const& req) {
    offsets.push_back(req.offset());
    auto const from = static_cast<std::size_t>(req.offset());
    std::vector<tcr::TaskExecStdioReadResponse> msgs;
    std::size_t end = std::min(data.size(), from + every);
    for (std::size_t i = from; i < end; ++i) msgs.push_back(chunk(data.substr(i, 1)));
    auto status = end == data.size() ? grpc::Status::OK
                                     : grpc::Status(grpc::StatusCode::UNAVAILABLE, "broken");
    return std::make_unique<Reader>(std::move(msgs), status);
  }
};

TEST(ExecOutputTest, ResumesAtTheDeliveredOffsetAfterEveryBreak) {
  auto ch = std::make_shared<FakeExecChannel>();
  BreakingServer server{"0123456789abcdefghij", 3, {}};
  ch->on_stdio = [&](auto const& req) { return server.open(req); };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  EXPECT_EQ(read_all(out), server.data);
  EXPECT_THAT(server.offsets, ::testing::ElementsAre(0, 3, 6, 9, 12, 15, 18));
  // Every break was followed by progress: each backoff started over at 10 ms.
  for (auto d : ch->target().fake_timer().sleeps()) EXPECT_EQ(d, milliseconds(10));
}

TEST(ExecOutputTest, GivesUpAfterTenFailuresInARow) {
  auto ch = std::make_shared<FakeExecChannel>();
  int opens = 0;
  ch->on_stdio = [&](auto const&) {
    ++opens;
    return std::make_unique<Reader>(std::vector<tcr::TaskExecStdioReadResponse>{},
                                    grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  std::string piece;
  EXPECT_THROW(out.next(piece), ConnectionError);
  EXPECT_EQ(opens, 11);
}

TEST(ExecOutputTest, ExpiredJwtIsRefreshedOnceAndTheStreamReopened) {
  auto ch = std::make_shared<FakeExecChannel>();
  int opens = 0;
  ch->on_stdio = [&](auto const& req) {
    ++opens;
    if (opens == 1) {
      return std::make_unique<Reader>(std::vector{chunk("ab")},
                                      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "expired"));
    }
    EXPECT_EQ(req.offset(), 2u);
    return std::make_unique<Reader>(std::vector{chunk("cd")}, grpc::Status::OK);
  };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  EXPECT_EQ(read_all(out), "abcd");
  EXPECT_EQ(ch->target().refreshes().size(), 1u);
  EXPECT_TRUE(ch->target().fake_timer().sleeps().empty());
}

TEST(ExecOutputTest, NonRetryableErrorReachesTheReaderAfterTheDataBeforeIt) {
  auto ch = std::make_shared<FakeExecChannel>();
  ch->on_stdio = [&](auto const&) {
    return std::make_unique<Reader>(std::vector{chunk("partial")},
                                    grpc::Status(grpc::StatusCode::NOT_FOUND, "no such exec"));
  };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  std::string piece;
  ASSERT_TRUE(out.next(piece));
  EXPECT_EQ(piece, "partial");
  EXPECT_THROW(out.next(piece), NotFoundError);
}

TEST(ExecOutputTest, OutputOfACommandItsTimeoutKilledStaysReadable) {
  auto ch = std::make_shared<FakeExecChannel>();
  auto& timer = ch->target().fake_timer();
  auto const deadline = timer.now() + seconds(2);
  ch->on_stdio = [&](auto const&) {
    timer.advance(seconds(3));  // the command ran past its timeout and was killed
    return std::make_unique<Reader>(std::vector{chunk("before")}, grpc::Status::OK);
  };
  ExecOutput out(ch, "ex-1", kStdout, deadline, seconds(2));
  EXPECT_EQ(read_all(out), "before");  // the stream ended: EOF; wait() tells the timeout
}

TEST(ExecOutputTest, BreaksJustAfterTheDeadlineAreStillRecovered) {
  auto ch = std::make_shared<FakeExecChannel>();
  auto& timer = ch->target().fake_timer();
  auto const deadline = timer.now() + seconds(2);
  int opens = 0;
  ch->on_stdio = [&](auto const& req) {
    if (++opens == 1) {
      timer.advance(seconds(2) + milliseconds(500));  // past the deadline, within its grace
      return std::make_unique<Reader>(std::vector{chunk("ab")},
                                      grpc::Status(grpc::StatusCode::UNAVAILABLE, "broken"));
    }
    EXPECT_EQ(req.offset(), 2u);
    return std::make_unique<Reader>(std::vector{chunk("cd")}, grpc::Status::OK);
  };
  ExecOutput out(ch, "ex-1", kStdout, deadline, seconds(2));
  EXPECT_EQ(read_all(out), "abcd");
}

TEST(ExecOutputTest, AStreamThatDoesNotEndWithinTheGraceIsATimeout) {
  auto ch = std::make_shared<FakeExecChannel>();
  auto& timer = ch->target().fake_timer();
  auto const deadline = timer.now() + seconds(2);
  int opens = 0;
  ch->on_stdio = [&](auto const&) {
    ++opens;
    timer.advance(seconds(2) + ExecOutput::kTimeoutGrace);  // the stream's own deadline
    return std::make_unique<Reader>(std::vector{chunk("x")},
                                    grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late"));
  };
  ExecOutput out(ch, "ex-1", kStdout, deadline, seconds(2));
  std::string piece;
  ASSERT_TRUE(out.next(piece));
  EXPECT_EQ(piece, "x");
  try {
    out.next(piece);
    FAIL() << "expected ExecTimeoutError";
  } catch (ExecTimeoutError const& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("exec ex-1 exceeded its 2 s timeout"));
  }
  EXPECT_EQ(opens, 1);
}

TEST(ExecOutputTest, ReadsWithADeadlineTimeOutWithoutConsuming) {
  auto ch = std::make_shared<FakeExecChannel>();
  auto& scope = ch->target().mutable_scope();
  ch->on_stdio = [&](auto const&) {
    return std::make_unique<Reader>(std::vector{chunk("x")}, grpc::Status::OK, &scope);
  };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  std::string piece;
  ASSERT_EQ(out.next_until(piece, Clock::now() + seconds(5)), ByteSource::Next::kData);
  EXPECT_EQ(piece, "x");
  auto const t0 = Clock::now();
  EXPECT_EQ(out.next_until(piece, Clock::now() + milliseconds(100)), ByteSource::Next::kTimeout);
  EXPECT_GE(Clock::now() - t0, milliseconds(100));
  scope.cancel();
}

TEST(ExecOutputTest, CancellingTheScopeDuringABlockedReadThrowsClientClosedError) {
  auto ch = std::make_shared<FakeExecChannel>();
  auto& scope = ch->target().mutable_scope();
  ch->on_stdio = [&](auto const&) {
    return std::make_unique<Reader>(std::vector{chunk("x")}, grpc::Status::OK, &scope);
  };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  std::string piece;
  ASSERT_TRUE(out.next(piece));
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    scope.cancel();  // what Client::close() and Sandbox::detach() do
  });
  try {
    out.next(piece);
    FAIL() << "expected ClientClosedError";
  } catch (ClientClosedError const& e) {
    EXPECT_STREQ(e.what(), "fake client closed");
  }
  closer.join();
}

TEST(ExecOutputTest, DrainFetchesWithoutAReader) {
  auto ch = std::make_shared<FakeExecChannel>();
  std::vector<tcr::TaskExecStdioReadResponse> msgs;
  for (int i = 0; i < 100; ++i) msgs.push_back(chunk(std::string(1 << 20, 'x')));
  std::atomic<bool> done{false};
  ch->on_stdio = [&](auto const&) {
    struct Last final : grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse> {
      Reader inner;
      std::atomic<bool>& done;
      Last(std::vector<tcr::TaskExecStdioReadResponse> m, std::atomic<bool>& d)
          : inner(std::move(m), grpc::Status::OK), done(d) {}
      bool Read(tcr::TaskExecStdioReadResponse* m) override {
        bool more = inner.Read(m);
        if (!more) done = true;
        return more;
      }
      grpc::Status Finish() override { return inner.Finish(); }
      bool NextMessageSize(uint32_t* s) override { return inner.NextMessageSize(s); }
      void WaitForInitialMetadata() override {}
    };
    return std::make_unique<Last>(msgs, done);
  };
  ExecOutput out(ch, "ex-1", kStdout, std::nullopt);
  out.drain();  // 100 MiB, more than the 8 MiB a reader's look-ahead allows
  for (int i = 0; i < 2000 && !done; ++i) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_TRUE(done);
  EXPECT_EQ(read_all(out).size(), std::size_t{100} << 20);
}

// ---- wait_for_exit -----------------------------------------------------------------

TEST(ExecWaitTest, LongPollsThatRunTheirCourseAreReissued) {
  FakeExecChannel ch;
  auto& timer = ch.target().fake_timer();
  int polls = 0;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse* resp) {
    if (++polls < 4) {
      timer.advance(kExecWaitAttemptTimeout);  // the server held the poll until its deadline
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
    }
    resp->set_code(7);
    return grpc::Status::OK;
  };
  auto exit = wait_for_exit(ch, "ex-1", std::nullopt, {});
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 7);
  EXPECT_FALSE(exit->killed_by_timeout);
  EXPECT_EQ(polls, 4);
  EXPECT_TRUE(timer.sleeps().empty());
}

TEST(ExecWaitTest, TransientFailuresBackOffCappedAt1s) {
  FakeExecChannel ch;
  int polls = 0;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse* resp) {
    if (++polls <= 9) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    resp->set_code(0);
    return grpc::Status::OK;
  };
  EXPECT_EQ(wait_for_exit(ch, "ex-1", std::nullopt, {})->code, 0);
  auto sleeps = ch.target().fake_timer().sleeps();
  ASSERT_EQ(sleeps.size(), 9u);
  EXPECT_EQ(sleeps[0], milliseconds(10));
  EXPECT_EQ(sleeps[6], milliseconds(640));
  EXPECT_EQ(sleeps[7], seconds(1));
  EXPECT_EQ(sleeps[8], seconds(1));
}

TEST(ExecWaitTest, SignalIsReportedAs128PlusSignal) {
  FakeExecChannel ch;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse* resp) {
    resp->set_signal(SIGTERM);
    return grpc::Status::OK;
  };
  auto exit = wait_for_exit(ch, "ex-1", std::nullopt, {});
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 128 + SIGTERM);
  EXPECT_FALSE(exit->killed_by_timeout);
}

TEST(ExecWaitTest, SigkillAtTheDeadlineIsTheTimeout) {
  FakeExecChannel ch;
  auto& timer = ch.target().fake_timer();
  auto const deadline = timer.now() + seconds(2);
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse* resp) {
    timer.advance(seconds(2));
    resp->set_signal(SIGKILL);
    return grpc::Status::OK;
  };
  auto exit = wait_for_exit(ch, "ex-1", deadline, {});
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 137);
  EXPECT_TRUE(exit->killed_by_timeout);
}

TEST(ExecWaitTest, NoAnswerByTheDeadlineAndItsGraceThrowsExecTimeoutError) {
  FakeExecChannel ch;
  auto& timer = ch.target().fake_timer();
  auto const deadline = timer.now() + seconds(2);
  int polls = 0;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse*) {
    ++polls;
    timer.advance(polls == 1 ? seconds(2) : ExecOutput::kTimeoutGrace);
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
  };
  EXPECT_THROW(wait_for_exit(ch, "ex-1", deadline, {}), ExecTimeoutError);
  EXPECT_EQ(polls, 2);  // until the deadline, then one short grace poll
}

TEST(ExecWaitTest, ExpiredJwtIsRefreshed) {
  FakeExecChannel ch;
  int polls = 0;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse* resp) {
    if (++polls == 1) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "expired");
    resp->set_code(3);
    return grpc::Status::OK;
  };
  EXPECT_EQ(wait_for_exit(ch, "ex-1", std::nullopt, {})->code, 3);
  EXPECT_EQ(ch.target().refreshes().size(), 1u);
}

TEST(ExecWaitTest, ClosedDuringTheWaitThrowsClientClosedError) {
  FakeExecChannel ch;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse*) {
    ch.target().mutable_scope().cancel();
    return grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled");
  };
  EXPECT_THROW(wait_for_exit(ch, "ex-1", std::nullopt, {}), ClientClosedError);
}

TEST(ExecWaitTest, TheCallersDeadlineEndsTheWaitWithNoExit) {
  FakeExecChannel ch;
  auto& timer = ch.target().fake_timer();
  int polls = 0;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse*) {
    ++polls;
    timer.advance(seconds(1));  // held until the attempt deadline, the caller's
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
  };
  CallControl control;
  control.deadline = timer.now() + seconds(1);
  EXPECT_FALSE(wait_for_exit(ch, "ex-1", std::nullopt, {}, control).has_value());
  EXPECT_EQ(polls, 1);
}

TEST(ExecWaitTest, StallHookRunsWhileBlocked) {
  FakeExecChannel ch;
  ch.on_wait = [&](auto const&, tcr::TaskExecWaitResponse* resp) {
    resp->set_code(0);
    return grpc::Status::OK;
  };
  int stalls = 0;
  wait_for_exit(ch, "ex-1", std::nullopt, [&] { ++stalls; });
  EXPECT_EQ(stalls, 1);
}

TEST(ExecWaitTest, PollReportsRunningThenTheExit) {
  FakeExecChannel ch;
  int polls = 0;
  ch.on_poll = [&](tcr::TaskExecPollResponse* resp) {
    if (++polls == 2) resp->set_code(5);
    return grpc::Status::OK;
  };
  EXPECT_FALSE(poll_exit(ch, "ex-1", std::nullopt).has_value());
  EXPECT_EQ(poll_exit(ch, "ex-1", std::nullopt)->code, 5);
}

// ---- ResumableStream with CleanEnd::kReopen (long-poll streams) ----------------------

TEST(ResumableStreamTest, ReopensAtTheCursorAfterEachCleanEndUntilTold) {
  FakeTarget t;
  std::vector<std::string> cursors;
  std::string cursor = "0-0";
  int opens = 0;
  ResumableStream<tcr::TaskExecStdioReadResponse> s;
  s.method = "Logs";
  s.policy = RetryPolicy::router();
  s.clean_end = CleanEnd::kReopen;
  s.open = [&](grpc::ClientContext&) {
    cursors.push_back(cursor);
    ++opens;
    std::vector<tcr::TaskExecStdioReadResponse> msgs{chunk(std::to_string(opens))};
    return std::make_unique<Reader>(std::move(msgs), grpc::Status::OK);
  };
  std::string seen;
  s.on_message = [&](tcr::TaskExecStdioReadResponse& m) {
    seen += m.data();
    cursor = "e-" + m.data();
    return m.data() != "3";
  };
  EXPECT_TRUE(s.run(t).ok());
  EXPECT_EQ(seen, "123");
  EXPECT_THAT(cursors, ::testing::ElementsAre("0-0", "e-1", "e-2"));
}

TEST(ResumableStreamTest, ExceptionsFromTheHandlerPropagate) {
  FakeTarget t;
  ResumableStream<tcr::TaskExecStdioReadResponse> s;
  s.method = "X";
  s.policy = RetryPolicy::router();
  s.open = [&](grpc::ClientContext&) {
    return std::make_unique<Reader>(std::vector{chunk("a")}, grpc::Status::OK);
  };
  s.on_message = [](tcr::TaskExecStdioReadResponse&) -> bool { throw InvalidError("bad message"); };
  EXPECT_THROW(s.run(t), InvalidError);
}

}  // namespace
}  // namespace modal::internal
