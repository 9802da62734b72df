"""An action: typed inputs and outputs (pydantic), and a ``run`` function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from marketplace.sdk.context import ActionContext
from marketplace.sdk.errors import InvalidInputError

RunFunction = Callable[[ActionContext, Any], Mapping[str, Any] | BaseModel | None]


@dataclass(frozen=True)
class Action:
    """One thing a connector can do, e.g. "Create invoice".

    ``inputs`` is a pydantic model: its JSON Schema drives the builder's form and the
    publish-time validation; ``performs_io`` False lets the engine run the step inline with
    the one before it.
    """

    key: str
    name: str
    description: str
    inputs: type[BaseModel]
    run: RunFunction
    outputs: type[BaseModel] | None = None
    performs_io: bool = True
    summary: str = ""

    def input_schema(self) -> dict[str, Any]:
        return self.inputs.model_json_schema()

    def output_schema(self) -> dict[str, Any] | None:
        return self.outputs.model_json_schema() if self.outputs else None

    def parse_inputs(self, raw: Mapping[str, Any]) -> BaseModel:
        """Validate resolved inputs; a failure becomes a plain-English InvalidInputError."""
        try:
            return self.inputs.model_validate(dict(raw))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}"
                for e in error.errors()
            )
            raise InvalidInputError(
                f"{self.name} got inputs it can't use ({problems}).", details=error.errors()
            ) from None

    def execute(self, ctx: ActionContext, raw_inputs: Mapping[str, Any]) -> dict[str, Any]:
        result = self.run(ctx, self.parse_inputs(raw_inputs))
        if result is None:
            return {}
        if isinstance(result, BaseModel):
            return result.model_dump(mode="json")
        return dict(result)
