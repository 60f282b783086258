"""Which handler answers which command (declared in handlers.commands), button and text."""

from __future__ import annotations

from handlers import (
    basic,
    broadcast,
    data_requests,
    groups,
    indicators,
    invites,
    people_admin,
    reminder_actions,
    submission_review,
    submissions,
)
from handlers.commands import COMMANDS
from handlers.context import App
from handlers.dispatcher import Dispatcher
from reminders.buttons import LinkButton, ReminderButton, TemplateButton
from reminders.request_buttons import RequestButton


def build_dispatcher(app: App) -> Dispatcher:
    dispatcher = Dispatcher(app)
    dispatcher.guard(groups.gate)
    for command in COMMANDS:
        dispatcher.command(command)
    dispatcher.button(indicators.AnswerButton)(indicators.answer_button)
    dispatcher.button(ReminderButton)(reminder_actions.on_button)
    dispatcher.button(TemplateButton)(submissions.on_button)
    dispatcher.button(submission_review.SubmissionButton)(submission_review.on_button)
    dispatcher.button(broadcast.SiaranButton)(broadcast.on_button)
    dispatcher.button(RequestButton)(data_requests.on_button)
    dispatcher.intercept(broadcast.compose)
    dispatcher.intercept(data_requests.attach_answer_file)
    dispatcher.intercept(submissions.receive)
    dispatcher.intercept(submission_review.written_reason)
    dispatcher.button(invites.InviteButton)(invites.on_button)
    dispatcher.button(LinkButton)(invites.on_link_button)
    dispatcher.button(people_admin.PeopleButton)(people_admin.on_button)
    dispatcher.button(groups.GroupButton)(groups.on_button)
    dispatcher.text(basic.free_text)
    return dispatcher
