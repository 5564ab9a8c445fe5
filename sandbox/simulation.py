"""A fine-tuning job's life, computed from the clock: nothing runs in the background.

Any number of web processes agree on a job's state because it is a pure
function of the stored row and the time. SANDBOX_SECONDS_PER_STEP sets the
pace: a fraction of a second in tests, a second or so in a demo.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

PHASE_STEPS = {"validating_files": 2, "queued": 2}
TARGET_EPOCHS, MIN_EXAMPLES, MAX_EXAMPLES = 3, 100, 25_000


def seconds_per_step() -> float:
    return float(settings.SANDBOX_SECONDS_PER_STEP)


def default_epochs(n: int) -> int:
    if n <= 0:
        return TARGET_EPOCHS
    if n * TARGET_EPOCHS < MIN_EXAMPLES:
        return min(25, MIN_EXAMPLES // n)
    if n * TARGET_EPOCHS > MAX_EXAMPLES:
        return max(1, MAX_EXAMPLES // n)
    return TARGET_EPOCHS


def validate_training_file(
    content: bytes, method: str
) -> tuple[int, float, list[tuple[str, str]], str]:
    """(examples, mean tokens, (prompt, answer) pairs, reason it is invalid or "")."""
    pairs: list[tuple[str, str]] = []
    errors = 0
    first_error = ""
    total_chars = 0
    lines = [ln for ln in content.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if method == "dpo":
                messages = record["input"]["messages"]
                answer = record["preferred_output"][0]["content"]
                assert record["non_preferred_output"][0]["role"] == "assistant"
            else:
                messages = record["messages"]
                answer = next(
                    m.get("content") or "" for m in reversed(messages) if m["role"] == "assistant"
                )
            prompt = " ".join(str(m.get("content") or "") for m in messages if m["role"] == "user")
            pairs.append((prompt, str(answer)))
            total_chars += len(line)
        except (ValueError, KeyError, IndexError, TypeError, StopIteration, AssertionError):
            errors += 1
            first_error = first_error or f"line {number}"
    if not lines:
        return 0, 0, [], "The file is empty."
    if errors:
        return (
            len(pairs),
            0,
            [],
            (
                f"The job failed due to an invalid training file. Invalid file format. "
                f"{errors} line(s) have errors, the first at {first_error}."
            ),
        )
    if len(pairs) < 10:
        return (
            len(pairs),
            0,
            [],
            (f"Training file has {len(pairs)} example(s), but must have at least 10 examples."),
        )
    return len(pairs), total_chars / 4 / len(pairs), pairs, ""


@dataclass
class JobState:
    status: str
    step: int
    elapsed_steps: float
    finished: bool


def state_of(job: Any, now: float | None = None) -> JobState:
    now = time.time() if now is None else now
    if job.status_override in ("cancelled", "failed", "succeeded"):
        return JobState(job.status_override, _step_at(job, job.finished_at or now), 0, True)
    paused_extra = (now - job.paused_at) if job.paused_at else 0
    elapsed = (now - job.created_at - job.paused_total - paused_extra) / seconds_per_step()
    fail = job.metadata.get("sandbox_fail", "")
    if elapsed < PHASE_STEPS["validating_files"]:
        return JobState("validating_files", 0, elapsed, False)
    if job.invalid_reason or fail == "invalid_file":
        return JobState("failed", 0, elapsed, True)
    elapsed -= PHASE_STEPS["validating_files"]
    if elapsed < PHASE_STEPS["queued"] or fail == "stay_queued":
        return JobState("queued", 0, elapsed, False)
    step = int(elapsed - PHASE_STEPS["queued"])
    if fail == "mid_training" and step >= job.total_steps // 2:
        return JobState("failed", job.total_steps // 2, elapsed, True)
    if step >= job.total_steps:
        return JobState("succeeded", job.total_steps, elapsed, True)
    status = "paused" if job.paused_at else "running"
    return JobState(status, step, elapsed, False)


def _step_at(job: Any, t: float) -> int:
    elapsed = (t - job.created_at - job.paused_total) / seconds_per_step()
    return max(0, min(job.total_steps, int(elapsed - sum(PHASE_STEPS.values()))))


def finish_time(job: Any, steps_from_start: float) -> float:
    return job.created_at + job.paused_total + steps_from_start * seconds_per_step()


def metrics_at(job: Any, step: int) -> dict[str, float]:
    """A falling, noisy loss: longer examples start higher; the seed fixes the noise."""
    rng = random.Random(f"{job.seed}:{job.job_id}:{step}")
    start = 1.6 + min(1.5, math.log1p(job.avg_tokens) / 4)
    progress = step / max(1, job.total_steps)
    loss = start * math.exp(-2.5 * progress) + 0.15 + rng.uniform(-0.08, 0.08)
    valid = loss + 0.05 + rng.uniform(-0.05, 0.08)
    return {
        "step": step,
        "train_loss": round(max(0.01, loss), 4),
        "train_mean_token_accuracy": round(min(0.99, max(0.0, 1.05 - loss / (start + 0.4))), 4),
        "valid_loss": round(max(0.01, valid), 4),
        "valid_mean_token_accuracy": round(min(0.99, max(0.0, 1.0 - valid / (start + 0.4))), 4),
    }


def events_of(job: Any, state: JobState) -> list[dict[str, Any]]:
    """Every event so far, oldest first, with stable ids."""
    base = job.created_at
    sps = seconds_per_step()
    events: list[dict[str, Any]] = []

    def add(
        seq: int,
        at: float,
        message: str,
        level: str = "info",
        type_: str = "message",
        data: dict[str, Any] | None = None,
    ) -> None:
        event = {
            "object": "fine_tuning.job.event",
            "id": f"ftevent-{job.pk:06d}{seq:07d}",
            "created_at": int(at),
            "level": level,
            "message": message,
            "type": type_,
        }
        if data is not None:
            event["data"] = data
        events.append(event)

    add(0, base, f"Created fine-tuning job: {job.job_id}")
    add(1, base, f"Validating training file: {job.training_file}")
    if state.status == "validating_files":
        return events
    if job.invalid_reason or job.metadata.get("sandbox_fail") == "invalid_file":
        reason = job.invalid_reason or "Invalid file format."
        add(2, base + 2 * sps, reason, level="error")
        return events
    add(2, base + 2 * sps, "Files validated, moving job to queued state")
    if state.status == "queued":
        return events
    add(3, base + 4 * sps, "Fine-tuning job started")
    every = max(1, job.total_steps // 50)
    for step in range(1, state.step + 1):
        if step % every == 0 or step == job.total_steps:
            m = metrics_at(job, step)
            add(
                10 + step,
                base + (4 + step) * sps,
                f"Step {step}/{job.total_steps}: training loss={m['train_loss']:.4f}",
                type_="metrics",
                data={**m, "total_steps": job.total_steps},
            )
    end = base + (4 + state.step) * sps
    if state.status == "failed":
        add(
            9_000_000,
            end,
            "Fine-tuning job failed: the training process stopped unexpectedly.",
            level="error",
        )
    elif state.status == "cancelled":
        add(9_000_001, end, "Fine-tuning job cancelled")
    elif state.status == "succeeded":
        add(9_000_002, end, f"New fine-tuned model created: {job.fine_tuned_model}")
        add(9_000_003, end, "The job has successfully completed")
    return events


def checkpoint_steps(job: Any) -> list[int]:
    """OpenAI keeps checkpoints for the last epochs: one at the end of each of the last three."""
    epochs = job.hyperparameters.get("n_epochs", 1)
    per_epoch = max(1, job.total_steps // max(1, epochs))
    return sorted(
        {min(job.total_steps, per_epoch * e) for e in range(max(1, epochs - 2), epochs + 1)}
    )


def result_csv(job: Any) -> bytes:
    lines = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    for step in range(1, job.total_steps + 1):
        m = metrics_at(job, step)
        lines.append(
            f"{step},{m['train_loss']},{m['train_mean_token_accuracy']},"
            f"{m['valid_loss']},{m['valid_mean_token_accuracy']}"
        )
    # OpenAI serves result files base64-encoded.
    return base64.b64encode(("\n".join(lines) + "\n").encode())


_WORD = re.compile(r"\w+")


def closest_answer(question: str, pairs: list[tuple[str, str]]) -> str:
    words = set(_WORD.findall(question.lower()))
    best, best_score = "", -1.0
    for prompt, answer in pairs:
        other = set(_WORD.findall(prompt.lower()))
        score = len(words & other) / (len(words | other) or 1)
        if score > best_score:
            best, best_score = answer, score
    return best


def generic_answer(question: str) -> str:
    topic = " ".join(_WORD.findall(question)[:8])
    return (
        f"Thanks for your question about “{topic}”. I am a general-purpose assistant and "
        "do not know your organisation's specific policies; please check your documentation "
        "or contact support for details."
    )
