"""`make bench`: run every benchmark and print its figures (copied into BENCHMARKS.md).

`make bench` takes about 25 minutes on the 2-core machine; `python -m bench.<name>` runs one.
"""

from __future__ import annotations

import json

from bench import (
    combining,
    critic_ranking,
    detail_restore,
    extract_memory,
    gateway_faults,
    history_pages,
    invisible_noise,
    layout_check,
    many_people,
    offline_convergence,
    offline_timings,
    orchestration,
    page_weight,
    poll_load,
    stop_calls,
    synthetic_tastes,
    texture_grains,
    truthfulness,
    two_hosts,
    worker_kill,
    worker_memory,
)
from tests.support.refsets import load_sets


def show(title: str, figures: object) -> None:
    print(f"== {title}", flush=True)
    print(json.dumps(figures, indent=2, ensure_ascii=False), flush=True)


def main() -> None:
    show("offline per-stage timings (median of 7)", offline_timings.timings())
    sets = layout_check.measured_sets()
    show("the layout check, leaving each set out", layout_check.leave_one_set_out(sets))
    show(
        "the direction-variety check, leaving each set out",
        layout_check.variety_leave_one_set_out(sets),
    )
    show("the bare-style check, leaving each set out", layout_check.bare_leave_one_set_out(sets))
    show("26 synthetic tastes", synthetic_tastes.evaluate())
    show("combining the critic's dimensions, leaving each set out", combining.evaluate())
    show("the style's texture over ten grains per set", texture_grains.evaluate())
    show("noise no one can see", invisible_noise.evaluate())
    truth = truthfulness.report(truthfulness.evaluate(load_sets(as_uploaded=True)))
    show("truthfulness, leaving each set out", {k: truth[k] for k in ("rows", "all", "loop")})
    ranking_data = critic_ranking.LeaveOneOut.build()
    show("critic leave-one-out ranking", critic_ranking.ranking_accuracy(ranking_data))
    show("ranking under other weightings", critic_ranking.weight_sensitivity(ranking_data))
    uploaded = critic_ranking.LeaveOneOut.build(as_uploaded=True)
    show("critic ranking, references as uploaded", critic_ranking.ranking_accuracy(uploaded))
    show("detail at 1024 px: three ways to paint", detail_restore.measure())
    show("worker peak RSS through a whole offline run", worker_memory.measure(3))
    result = offline_convergence.convergence(seeds=5)
    show(
        "offline convergence (5 sets x 3 intents x seeds 0-4, max 5 iterations, threshold 8.0)",
        {k: v for k, v in result.items() if k != "rows"},
    )
    for row in result["rows"]:
        print(
            f"  {row['set']:30} {row['intent']:32} seed {row['seed']}: {row['iterations']} it. {row['scores']}"
        )
    show(
        "orchestration overhead and best-of-4 vs best-of-1 (2.0 s + 1.0 s per iteration)",
        orchestration.measure(runs=5, iterations=3),
    )
    show("100 pollers against gunicorn (median of 5 servers)", poll_load.repeated(5, seconds=20))
    show("peak RSS extracting 5 x 12 MP references", extract_memory.measure(5))
    kill = worker_kill.trials(20)
    kill.pop("rows")
    show("worker SIGKILLed mid-call, 20 trials", kill)
    show("gateway failing 30% of calls, 20 runs", gateway_faults.fault_runs(20, 0.3))
    show("many people through HTTP (median of 3)", many_people.benchmark(3))
    show(
        "poll endpoint while 30 runs generate, 100 pollers (median of 3)",
        poll_load.repeated(3, seconds=20, generating=30),
    )
    hosts = [two_hosts.trial(database_url=None, redis_url=None) for _ in range(3)]
    show(
        "two worker hosts, one SIGKILLed, 20 runs (3 trials; --database-url for PostgreSQL)", hosts
    )
    stop = stop_calls.trials(12)
    stop.pop("rows")
    show("provider calls after Stop, 12 trials", stop)
    print("== list pages at 10, 3,000 and 10,000 runs", flush=True)
    history_pages.measure([10, 3000, 10000])
    print("== page weight", flush=True)
    page_weight.main()


if __name__ == "__main__":
    main()
