"""Zoho CRM v8 Merge Records for a module: `POST /crm/v8/<Module>/{master_id}/actions/merge` and the
merge status `GET` on the same path.

- Merge (https://www.zoho.com/crm/developer/docs/api/v8/merge-records.html): body
  `{"merge": [{"data": [{"id": <child>, "_fields": [{"api_name": ...}]}, ...],
  "master_record_fields": [...]}]}`; one merge instruction per call, the master plus at most two
  children (three records); each child's `_fields` values replace the master's, the master keeps the
  rest; the children are deleted (to the Recycle Bin). Answer 201
  `{"merge": [{"code": "SCHEDULED" | "SUCCESS", "status": "success", "message", "details": {"job_id"}}]}`
  (crm-oas v8.0 `find_and_merge.json`: 201, Success_Response code enum SUCCESS/SCHEDULED). Errors
  are items of `merge` with HTTP 400 (codes from the same spec: MANDATORY_NOT_FOUND, NOT_ALLOWED,
  INVALID_DATA, DUPLICATE_DATA, LIMIT_EXCEEDED).
- Status (https://www.zoho.com/crm/developer/docs/api/v8/get-merge-status.html): `?job_id=` optional;
  `{"merge": [{"job_id", "status"}]}` with status RUNNING, SCHEDULED, COMPLETED or FAILURE; an
  unknown master id is 400 INVALID_DATA "Specified master record ID is invalid".
The emulator merges at once; `MERGE_CODE` says which success code it answers (Zoho may do either).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import read_json
from unigate.sandbox.zoho_crm.common import TOKEN_USER, error_object, now, ts

if TYPE_CHECKING:
    from unigate.sandbox.zoho_crm.module import ModuleResource

# -- choices where the vendor's behaviour is not settled (change here) --------------------------------
# "SCHEDULED" (a job the status route reports COMPLETED) or "SUCCESS" (merged synchronously): both are
# documented outcomes of the same call.
MERGE_CODE = "SCHEDULED"
MAX_CHILDREN = 2          # "merges up to three duplicate records": the master and two children
_JOB_BASE = 5725767000006001001


def _failed(item: dict[str, Any], status: int = 400) -> tuple[dict[str, Any], int]:
    return {"merge": [item]}, status


class Merges:
    """The merge jobs of one module resource (kept until the next reset)."""

    def __init__(self, module: ModuleResource) -> None:
        self.module = module
        self.jobs: dict[str, dict[str, Any]] = {}     # job_id -> {"master": id, "status": ...}

    def clear(self) -> None:
        self.jobs = {}

    async def route(self, request: Request) -> Response:
        module = self.module
        denied = module.emulator.check_auth(request)
        if denied:
            return denied
        master_id = request.path_params["record_id"]
        if module.store.get_active(master_id) is None:
            return module.answer(*_failed(error_object(
                "INVALID_DATA", "Specified master record ID is invalid", {"resource_path_index": 1})))
        if request.method == "GET":
            return module.answer(*self.status(master_id, request.query_params.get("job_id")))
        return module.answer(*self.merge(master_id, await read_json(request)))

    def status(self, master_id: str, job_id: str | None) -> tuple[dict[str, Any] | None, int]:
        jobs = [(j, job) for j, job in self.jobs.items() if job["master"] == master_id and job_id in (None, j)]
        if job_id is not None and not jobs:
            return _failed(error_object("INVALID_DATA", "invalid data", {"param_name": "job_id"}))
        if not jobs:
            return None, 204
        return {"merge": [{"job_id": j, "status": job["status"]} for j, job in jobs]}, 200

    def merge(self, master_id: str, payload: Any) -> tuple[dict[str, Any], int]:
        module = self.module
        merges = payload.get("merge") if isinstance(payload, dict) else None
        if not isinstance(merges, list) or not merges:
            return _failed(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                        {"api_name": "merge", "json_path": "$.merge"}))
        if len(merges) > 1:
            return _failed(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                        {"limit": 1, "api_name": "merge", "json_path": "$.merge"}))
        instruction = merges[0]
        children = instruction.get("data") if isinstance(instruction, dict) else None
        if not isinstance(children, list) or not children:
            return _failed(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                        {"api_name": "data", "json_path": "$.merge[0].data"}))
        if len(children) > MAX_CHILDREN:
            return _failed(error_object("NOT_ALLOWED", "cannot merge more than three records",
                                        {"limit": MAX_CHILDREN, "api_name": "data",
                                         "json_path": "$.merge[0].data"}))
        layout = module.field_types
        chosen: list[tuple[str, list[str]]] = []
        for index, child in enumerate(children):
            where = f"$.merge[0].data[{index}]"
            child_id = child.get("id") if isinstance(child, dict) else None
            if child_id is None:
                return _failed(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                            {"api_name": "id", "json_path": f"{where}.id"}))
            child_id = str(child_id)
            if child_id == master_id:
                return _failed(error_object("NOT_ALLOWED", "the master record cannot be merged with itself",
                                            {"api_name": "id", "json_path": f"{where}.id"}))
            if any(child_id == seen for seen, _ in chosen):
                return _failed(error_object("DUPLICATE_DATA", "duplicate data",
                                            {"api_name": "id", "json_path": f"{where}.id"}))
            if module.store.get_active(child_id) is None:
                return _failed(error_object("INVALID_DATA", "the id given seems to be invalid",
                                            {"api_name": "id", "json_path": f"{where}.id", "id": child_id}))
            fields = child.get("_fields") or []
            if not isinstance(fields, list):
                return _failed(error_object("INVALID_DATA", "invalid data", {
                    "api_name": "_fields", "json_path": f"{where}._fields", "expected_data_type": "jsonarray"}))
            names = []
            for f_index, field in enumerate(fields):
                name = field.get("api_name") if isinstance(field, dict) else None
                if not isinstance(name, str) or name not in layout or name in module.READ_ONLY:
                    return _failed(error_object("INVALID_DATA", "invalid data", {
                        "api_name": "api_name", "json_path": f"{where}._fields[{f_index}].api_name"}))
                names.append(name)
            chosen.append((child_id, names))
        master = module.store.records[master_id]
        for child_id, names in chosen:
            child_record = module.store.records[child_id]
            for name in names:
                master[name] = child_record[name]
        for child_id, _names in chosen:
            module.delete(child_id)
        module.derive(master)
        master["Modified_Time"] = ts(now())
        master["Modified_By"] = dict(TOKEN_USER)
        job_id = str(_JOB_BASE + 16 * len(self.jobs))
        self.jobs[job_id] = {"master": master_id, "status": "COMPLETED"}
        message = "merge scheduled" if MERGE_CODE == "SCHEDULED" else "records merged"
        return {"merge": [{"code": MERGE_CODE, "status": "success", "message": message,
                           "details": {"job_id": job_id}}]}, 201
