"""Which tier each test belongs to, in one table, and the guard that keeps the table honest.

A module's tier is that of most of its tests; the tests of another tier are named by their
function (every parameter set of a function shares its tier). `tests/conftest.py` marks every
collected test from here, refuses a test module that is not listed, and during a unit or
integration test refuses what that tier may not do, so a test that outgrows its tier fails
with a message saying where to move it instead of quietly slowing `pytest -m unit` down.
It also names the tests that must share one pytest-xdist worker (`xdist_group`).
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import pytest

UNIT, INTEGRATION, E2E = "unit", "integration", "e2e"
# What a tier may not request: every fixture that gives a file, a database or a process.
FORBIDDEN_FIXTURES = {
    UNIT: frozenset(
        {
            "tmp_path",
            "tmp_path_factory",
            "tmpdir",
            "tmpdir_factory",
            "database_url",
            "postgres_url",
            "engine",
            "migrated",
            "loaded",
            "demo_template",
            "demo_db",
            "runtime",
            "send",
            "processes",
        }
    ),
    INTEGRATION: frozenset({"processes"}),
    E2E: frozenset(),
}


@dataclass(frozen=True)
class Tiers:
    """A module's tier, and its tests that belong to another."""

    module: str
    unit: tuple[str, ...] = ()
    integration: tuple[str, ...] = ()
    e2e: tuple[str, ...] = ()

    def of(self, function: str) -> str:
        if function in self.unit:
            return UNIT
        if function in self.integration:
            return INTEGRATION
        if function in self.e2e:
            return E2E
        return self.module


TIERS: dict[str, Tiers] = {
    "test_abuse.py": Tiers(INTEGRATION, unit=("test_the_limiter_slides_and_forgets_idle_users",)),
    "test_access_matrix.py": Tiers(INTEGRATION),
    "test_admin_buttons.py": Tiers(UNIT),
    "test_admin_cli.py": Tiers(
        E2E, integration=("test_audit_shows_the_walidata_the_latest_entries",)
    ),
    "test_aiogram_webhook.py": Tiers(E2E),
    "test_answers.py": Tiers(INTEGRATION),
    "test_named_regions.py": Tiers(INTEGRATION),
    "test_follow_ups.py": Tiers(
        INTEGRATION, unit=("test_words_shared_by_the_choices_choose_none",)
    ),
    "test_breakdown_answers.py": Tiers(INTEGRATION),
    "test_honest_gaps.py": Tiers(INTEGRATION),
    "test_region_alone.py": Tiers(INTEGRATION),
    "test_registry_questions.py": Tiers(INTEGRATION),
    "test_conversation_questions.py": Tiers(INTEGRATION),
    "test_small_talk.py": Tiers(
        INTEGRATION,
        unit=("test_small_talk_is_recognised", "test_a_message_with_more_than_small_talk_is_not"),
    ),
    "test_broadcast.py": Tiers(INTEGRATION),
    "test_broadcast_delivery.py": Tiers(E2E),
    "test_callbacks.py": Tiers(UNIT),
    "test_catalogues.py": Tiers(UNIT),
    "test_chat_on_both_engines.py": Tiers(INTEGRATION),
    "test_ckan_chat.py": Tiers(
        E2E, integration=("test_without_a_portal_the_walidata_is_told_it_is_not_configured",)
    ),
    "test_ckan_mapping.py": Tiers(
        UNIT,
        integration=(
            "test_a_mapping_file_with_a_mistake_stops_start_up",
            "test_a_portal_file_names_only_what_differs",
        ),
    ),
    "test_ckan_download.py": Tiers(E2E, unit=("test_only_http_addresses_are_fetched",)),
    "test_ckan_sync.py": Tiers(E2E),
    "test_classification_freshness.py": Tiers(INTEGRATION),
    "test_cli.py": Tiers(E2E),
    "test_cli_storage.py": Tiers(E2E),
    "test_commands.py": Tiers(INTEGRATION),
    "test_compliance.py": Tiers(INTEGRATION),
    "test_config.py": Tiers(
        UNIT,
        integration=(
            "test_env_file_is_read_and_the_environment_wins",
            "test_invalid_value_in_env_file_is_reported_too",
            "test_missing_env_file_is_not_an_error",
        ),
    ),
    "test_demo_load.py": Tiers(
        UNIT,
        integration=(
            "test_both_ipm_series_are_separate_datasets_with_lf_sp2020_as_headline",
            "test_reloading_after_a_revision_updates_the_published_value",
            "test_reloading_after_the_tables_gained_a_year_adds_only_that_year",
        ),
    ),
    "test_demo_start.py": Tiers(
        E2E, integration=("test_a_registry_once_synced_with_a_portal_is_not_given_the_demo",)
    ),
    "test_digest.py": Tiers(
        INTEGRATION,
        unit=(
            "test_a_holiday_monday_moves_the_digest_to_the_next_working_day",
            "test_a_wrong_digest_time_is_refused_with_an_example",
            "test_the_best_are_above_the_region_the_worst_are_not_the_best_and_ties_are_said",
            "test_the_digest_time_is_configurable",
        ),
        e2e=("test_the_digest_reaches_telegram_with_its_files",),
    ),
    "test_eval.py": Tiers(UNIT, integration=("test_development_questions_are_answered",)),
    "test_formatting.py": Tiers(UNIT),
    "test_fuzz.py": Tiers(INTEGRATION),
    "test_gazetteer.py": Tiers(UNIT),
    "test_groups.py": Tiers(INTEGRATION),
    "test_handlers.py": Tiers(INTEGRATION),
    "test_import_data.py": Tiers(
        INTEGRATION,
        e2e=(
            "test_cli_imports_a_spreadsheet_into_a_dataset_the_daftar_data_registered",
            "test_cli_lists_every_problem_and_exits_1",
        ),
    ),
    "test_importing.py": Tiers(
        INTEGRATION,
        e2e=(
            "test_cli_dry_run_changes_nothing",
            "test_cli_import_prints_a_summary",
            "test_cli_import_with_errors_exits_1_and_lists_the_rows",
            "test_cli_unreadable_file_exits_2_with_one_line",
        ),
    ),
    "test_invitations.py": Tiers(INTEGRATION),
    "test_invitations_on_both_engines.py": Tiers(INTEGRATION),
    "test_late_data_through_telegram.py": Tiers(E2E),
    "test_log_secrets.py": Tiers(UNIT),
    "test_migration_regional.py": Tiers(INTEGRATION),
    "test_opd_names.py": Tiers(UNIT),
    "test_plausibility.py": Tiers(UNIT),
    "test_outbox_faults.py": Tiers(E2E),
    "test_outbox_delivery.py": Tiers(
        E2E,
        integration=(
            "test_no_second_sees_more_than_telegram_allows_however_the_network_bunches_them",
        ),
    ),
    "test_periods.py": Tiers(UNIT),
    "test_portal_push.py": Tiers(E2E),
    "test_portal_source.py": Tiers(E2E),
    "test_regional_import.py": Tiers(E2E),
    "test_regional_questions.py": Tiers(
        INTEGRATION,
        unit=(
            "test_every_question_refers_to_what_the_fixtures_hold",
            "test_the_question_set_is_large_and_spans_the_corpus",
            "test_the_judge_counts_the_true_value_as_right",
            "test_the_judge_calls_another_kecamatans_value_wrong",
            "test_the_judge_calls_another_categorys_value_wrong",
            "test_the_judge_calls_a_number_off_the_table_wrong",
            "test_the_judge_calls_buttons_without_data_a_clarifying_question",
            "test_the_judge_calls_any_number_for_a_trap_wrong",
            "test_the_judge_takes_the_latest_said_as_such_for_a_missing_period",
            "test_the_judge_checks_a_ranking_against_the_tables_order",
        ),
    ),
    "test_regional_shapes.py": Tiers(UNIT),
    "test_regional_sync.py": Tiers(E2E),
    "test_reminder_actions.py": Tiers(INTEGRATION),
    "test_reminder_engine.py": Tiers(UNIT),
    "test_reading_apply.py": Tiers(INTEGRATION),
    "test_reminder_tick.py": Tiers(
        INTEGRATION,
        unit=(
            "test_a_walidata_escalation_of_many_datasets_fits_one_telegram_message",
            "test_a_reminder_about_one_dataset_has_worded_buttons",
        ),
        e2e=(
            "test_plan_json_from_the_command_line",
            "test_plan_with_an_unreadable_moment_exits_2_with_one_line",
        ),
    ),
    "test_reminders_on_both_engines.py": Tiers(E2E),
    "test_reply_plan.py": Tiers(UNIT),
    "test_reports_summary.py": Tiers(UNIT),
    "test_roles.py": Tiers(INTEGRATION),
    "test_schedule.py": Tiers(UNIT),
    "test_shared_budget.py": Tiers(
        INTEGRATION, e2e=("test_replies_from_three_webhook_workers_and_the_outbox_share_one_limit",)
    ),
    "test_storage.py": Tiers(INTEGRATION),
    "test_sqlite_driver.py": Tiers(INTEGRATION),
    "test_subannual.py": Tiers(INTEGRATION),
    "test_submissions.py": Tiers(
        INTEGRATION, e2e=("test_the_walidata_decides_from_the_command_line",)
    ),
    "test_table_files.py": Tiers(
        UNIT, integration=("test_a_file_on_disk_is_measured_before_it_is_read",)
    ),
    "test_table_reader.py": Tiers(UNIT),
    "test_telegram_transport.py": Tiers(E2E),
    "test_transport_policy.py": Tiers(UNIT),
    "test_understanding.py": Tiers(
        INTEGRATION,
        unit=(
            "test_period_decoding_rejects_what_encoding_never_produces",
            "test_period_survives_the_round_trip_through_button_data",
        ),
    ),
    "test_webhook.py": Tiers(
        E2E,
        unit=(
            "test_bad_webhook_settings_name_the_variable",
            "test_the_webhook_path_follows_the_public_url",
        ),
        integration=("test_readiness_names_what_is_missing",),
    ),
    "test_workers.py": Tiers(E2E),
}

# Tests that load the whole machine (several bot processes and a database at full tilt): one
# xdist worker runs them one after another, never two at once.
WHOLE_MACHINE: dict[str, tuple[str, ...]] = {
    "test_workers.py": (
        "test_three_workers_deliver_a_day_once_within_the_limits_across_a_failover",
    ),
    "test_shared_budget.py": (
        "test_three_workers_budgets_together_stay_within_thirty_a_second",
        "test_replies_from_three_webhook_workers_and_the_outbox_share_one_limit",
    ),
}


# Modules whose tests share a module-scoped set-up (a loaded registry, a running bot): one
# worker runs each of them whole, so the set-up is built once rather than once per worker.
SHARED_SET_UP = ("test_access_matrix.py", "test_cli.py", "test_fuzz.py")


def xdist_group(item: pytest.Item) -> str | None:
    """The group of tests that must share one pytest-xdist worker, if the item is in one."""
    if getattr(item, "originalname", item.name) in WHOLE_MACHINE.get(item.path.name, ()):
        return "whole-machine"
    if item.path.name in SHARED_SET_UP:
        return item.path.name
    return None


def tier_of(item: pytest.Item) -> str:
    """The item's tier from the table; a module missing from it is a usage error."""
    module = item.path.name
    if module not in TIERS:
        raise pytest.UsageError(
            f"{module} has no tier: add it to TIERS in tests/tiers.py (see tests/conftest.py)"
        )
    return TIERS[module].of(getattr(item, "originalname", item.name))


def forbidden_fixtures(item: pytest.Item, tier: str) -> set[str]:
    return set(getattr(item, "fixturenames", ())) & FORBIDDEN_FIXTURES[tier]


class Guard:
    """Refuses, for the length of one test, what its tier may not do: a unit test opens no
    socket, database or process; an integration test talks to databases but starts neither a
    server nor a process. What was refused is kept, since the code under test may swallow the
    error."""

    def __init__(self, tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tier = tier
        self.refused: list[str] = []
        if tier == E2E:
            return
        monkeypatch.setattr(subprocess.Popen, "_execute_child", self._refuse("a subprocess"))
        monkeypatch.setattr(socket.socket, "bind", self._refuse("a listening socket"))
        if tier == UNIT:
            monkeypatch.setattr(socket.socket, "connect", self._refuse("a network connection"))
            monkeypatch.setattr(socket.socket, "connect_ex", self._refuse("a network connection"))
            monkeypatch.setattr(sqlite3, "connect", self._refuse("a SQLite database"))
            monkeypatch.setattr(sqlite3.dbapi2, "connect", self._refuse("a SQLite database"))

    def _refuse(self, what: str) -> Callable[..., NoReturn]:
        def refused(*args: object, **kwargs: object) -> NoReturn:
            self.refused.append(what)
            raise OSError(f"{self.tier} tests may not open {what}")

        return refused

    def verdict(self, nodeid: str) -> str | None:
        if not self.refused:
            return None
        heavier = E2E if self.tier == INTEGRATION else "integration or e2e"
        return (
            f"{nodeid} is a {self.tier} test but opened {', '.join(sorted(set(self.refused)))}:"
            f" list it as {heavier} in tests/tiers.py"
        )
