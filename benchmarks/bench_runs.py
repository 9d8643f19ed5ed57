"""What a run costs on the local server, against a plain chat completion of the same prompt.

A run does more than a chat completion: it writes the thread's messages, a run and its steps to
SQLite, executes in the background (with the default 5 ms step delays), and is either polled (the
server asks pollers to come back after 25 ms) or streamed as events. The baseline is one
`chat.completions.create` with the same system instructions and user message. Both sides use
temperature 0, so the local model writes the same answer and the ratio shows the overhead of the
run machinery, not a difference in generation length.

Each timing is the median of `repeat` round trips over real HTTP on loopback, after a warm-up.

Run ``python -m benchmarks runs`` (or ``python -m benchmarks.bench_runs``) to print the table.
"""

from __future__ import annotations

import statistics
import time

INSTRUCTIONS = "You are a patient astronomy teacher."
PROMPT = "Tell me about the planets and the moon."


def _median(fn, repeat: int) -> float:
    fn()  # warm-up: model load, connection pool
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(repeat: int = 20) -> list[dict]:
    """Median seconds per run (polled, streamed, create-and-run) and per plain chat completion."""
    from jupyter_api_kit.client import Client
    from jupyter_api_kit.local import start_local_server

    server = start_local_server(db=":memory:")
    try:
        client = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        tutor = client.assistants.create(model="local-ngram", instructions=INSTRUCTIONS, temperature=0)
        messages = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": PROMPT}]

        def baseline():
            client.chat.completions.create(model="local-ngram", messages=messages, temperature=0)

        def fresh_thread():
            return client.threads.create(messages=[{"role": "user", "content": PROMPT}])["id"]

        def polled():
            thread_id = threads.pop()
            run_obj = client.threads.runs.create_and_poll(thread_id, assistant_id=tutor["id"], progress=False)
            assert run_obj["status"] == "completed", run_obj["status"]

        def streamed():
            stream = client.threads.runs.stream(threads.pop(), assistant_id=tutor["id"])
            assert stream.final_run["status"] == "completed"

        def created_and_run():
            run_obj = client.threads.create_and_run_poll(
                assistant_id=tutor["id"], progress=False,
                thread={"messages": [{"role": "user", "content": PROMPT}]})
            assert run_obj["status"] == "completed"

        # Threads are made before the clock starts: the subject is the run, not the thread.
        threads = [fresh_thread() for _ in range(2 * (repeat + 1))]
        baseline_s = _median(baseline, repeat)
        rows = []
        for name, fn in (("run: create_and_poll (thread made beforehand)", polled),
                         ("run: streamed to thread.run.completed", streamed),
                         ("run: threads.create_and_run_poll", created_and_run)):
            subject_s = _median(fn, repeat)
            rows.append({"benchmark": name, "subject_s": subject_s, "baseline_s": baseline_s,
                         "ratio": baseline_s / subject_s,
                         "baseline": "chat.completions.create, same instructions and prompt, temperature 0",
                         "note": f"median of {repeat}, local server over loopback HTTP"})
        client.close()
        return rows
    finally:
        server.stop()


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']:<48} {row['subject_s'] * 1000:8.1f} ms  baseline {row['baseline_s'] * 1000:6.1f} ms"
              f"  ratio {row['ratio']:.2f}")
