"""An inbox's survey settings, stored in `inboxes.settings["surveys"]`."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError

from kefu.inboxes.models import Inbox

# A resolved conversation's survey stays open this long; within it, a new answer replaces the
# earlier one (a mis-click can be corrected). Later answers are refused (409).
SURVEY_WINDOW = timedelta(days=7)
SCALES = {"csat": (1, 5), "nps": (0, 10)}


class SurveySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csat_enabled: StrictBool = True
    nps_enabled: StrictBool = False

    def enabled(self, kind: str) -> bool:
        return self.csat_enabled if kind == "csat" else self.nps_enabled


def survey_settings(inbox: Inbox) -> SurveySettings:
    raw = inbox.settings.get("surveys") if inbox.settings else None
    if not raw:
        return SurveySettings()
    try:
        return SurveySettings.model_validate(raw)
    except ValidationError:
        return SurveySettings()
