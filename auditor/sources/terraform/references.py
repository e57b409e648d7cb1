"""References to other resources (``azurerm_x.y``, ``azurerm_x.y[k].attr``, nested blocks) resolved lazily."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.sources.core.evaluation.template import PLACEHOLDER_SUBSCRIPTION
from auditor.sources.core.jsonpos import PDict, PList
from auditor.sources.terraform.config import address_of
from auditor.sources.terraform.ids import TRIGGER_TYPES
from auditor.sources.terraform.values import CallbackOutput, HclError, Lazy, finalize, type_name
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.sources.terraform.config import Block
    from auditor.sources.terraform.evaluator import Evaluator
    from auditor.sources.terraform.module import Module


# ---------------------------------------------------------------- references


@dataclass(eq=False)
class ResourceRef(Lazy):
    """``<type>.<name>``: one instance, or the collection of a count/for_each resource."""

    module: Module
    block: Block

    @property
    def address(self) -> str:
        return address_of(self.block, None)

    def _expanded(self) -> bool:
        return "count" in self.block.attrs or "for_each" in self.block.attrs

    def attr(self, name: str, ev: Evaluator) -> Any:
        if self._expanded():
            return Unknown(
                f"{self.address} has count or for_each: an instance must be selected", self.address
            )
        return _ResourceInstanceRef(self.module, self.block, None).attr(name, ev)

    def index(self, key: Any, ev: Evaluator) -> Any:
        if not self._expanded():
            return _ResourceInstanceRef(self.module, self.block, None).index(key, ev)
        expansion = self.module.expansion(self.block)
        if isinstance(expansion, list) and not any(k == key for k, _b in expansion):
            raise HclError(f"{address_of(self.block, key)} does not exist")
        return _ResourceInstanceRef(self.module, self.block, key)

    def as_list(self, ev: Evaluator) -> Any:
        if not self._expanded():
            return [_ResourceInstanceRef(self.module, self.block, None)]
        expansion = self.module.expansion(self.block)
        if isinstance(expansion, Unknown):
            return Unknown(f"{self.address} has {expansion.reason}", self.address)
        assert expansion is not None
        return [_ResourceInstanceRef(self.module, self.block, k) for k, _b in expansion]

    def collection(self) -> Any:
        """What ``for_each``/``for`` see: a map of instances (for_each), a list (count), or one object."""
        if not self._expanded():
            return _ResourceInstanceRef(self.module, self.block, None)
        expansion = self.module.expansion(self.block)
        if isinstance(expansion, Unknown):
            return Unknown(f"{self.address} has {expansion.reason}", self.address)
        assert expansion is not None
        if "for_each" in self.block.attrs:
            return PDict((k, _ResourceInstanceRef(self.module, self.block, k)) for k, _b in expansion)
        return PList(_ResourceInstanceRef(self.module, self.block, k) for k, _b in expansion)


@dataclass(eq=False)
class _ResourceInstanceRef(Lazy):
    module: Module
    block: Block
    key: Any

    @property
    def address(self) -> str:
        return address_of(self.block, self.key)

    def attr(self, name: str, ev: Evaluator) -> Any:
        block, type_ = self.block, self.block.labels[0]
        if self.block.type == "data":
            return _data_attribute(self.module, block, self.key, name)
        if name == "id":
            return self.module.instance_id(block, self.key)
        if name == "callback_url" and type_ in TRIGGER_TYPES:
            return _callback(self.module, block, self.key)
        if name == "output" and type_ == "azapi_resource_action":
            found = _callback_output(self.module, block, self.key)
            if found is not None:
                return found
        if name in block.attrs:
            return self.module.attribute(block, self.key, name)
        nested = [b for b in block.blocks if b.type == name]
        if nested:
            return [_NestedBlockRef(self.module, self, b) for b in nested]
        return Unknown(f"{self.address}.{name} is only known after apply", f"{self.address}.{name}")

    def index(self, key: Any, ev: Evaluator) -> Any:
        raise HclError(f"{self.address} is a single resource instance and cannot be indexed")


@dataclass(eq=False)
class _NestedBlockRef(Lazy):
    module: Module
    owner: _ResourceInstanceRef
    block: Block

    @property
    def address(self) -> str:
        return f"{self.owner.address}.{self.block.type}"

    def attr(self, name: str, ev: Evaluator) -> Any:
        attr = self.block.attrs.get(name)
        if attr is None:
            return Unknown(f"{self.address}[0].{name} is only known after apply", f"{self.address}[0].{name}")
        bindings = self.module.bindings(self.owner.block, self.owner.key)
        return self.module.evaluator(self.block.file, bindings).evaluate(attr.expr)


def _callback(module: Module, block: Block, key: Any) -> CallbackUrl:
    """``callback_url`` of a Logic App trigger: the URL is a secret of Azure, the trigger it names is not."""
    address = address_of(block, key)
    trigger_id = module.instance_id(block, key)
    target: Any = trigger_id
    if isinstance(trigger_id, Unknown):
        target = trigger_id
    return CallbackUrl(
        f"the callback URL of {address} is only known after apply", f"{address}.callback_url", target=target
    )


def _callback_output(module: Module, block: Block, key: Any) -> CallbackOutput | None:
    """``azapi_resource_action`` (resource or data source) calling ``listCallbackUrl`` on a trigger."""
    action = finalize(module.attribute(block, key, "action"))
    if not isinstance(action, str) or action.lower() != "listcallbackurl":
        return None
    target = finalize(module.attribute(block, key, "resource_id"))
    type_ = finalize(module.attribute(block, key, "type"))
    version = type_.partition("@")[2] or None if isinstance(type_, str) else None
    address = address_of(block, key)
    callback = CallbackUrl(
        f"the callback URL returned by {address} is only known after apply",
        f"{address}.output",
        target=target,
        api_version=version,
    )
    return CallbackOutput(callback, address)


def _data_attribute(module: Module, block: Block, key: Any, name: str) -> Any:
    type_ = block.labels[0]
    address = address_of(block, key)
    if type_ == "azurerm_managed_api" and name in ("id", "name"):
        api = finalize(module.attribute(block, key, "name"))
        if name == "name" or not isinstance(api, str):
            return api if api is not None else Unknown(f"{address} has no name")
        location = finalize(module.attribute(block, key, "location"))
        loc = location.replace(" ", "").lower() if isinstance(location, str) else "{location}"
        return f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/providers/Microsoft.Web/locations/{loc}/managedApis/{api}"
    if type_ == "azapi_resource_action" and name == "output":
        found = _callback_output(module, block, key)
        if found is not None:
            return found
    own = _own_subscription(module, block, key, name)
    if own is not None:
        return own
    return Unknown(f"data source {address} is read from Azure when Terraform runs", f"{address}.{name}")


def _own_subscription(module: Module, block: Block, key: Any, name: str) -> Any:
    """The subscription Terraform deploys to, as the ARM evaluator writes ``subscription()``: the
    ``{subscriptionId}`` placeholder (``azurerm_client_config.subscription_id``, and
    ``azurerm_subscription`` ``id`` / ``subscription_id`` without a ``subscription_id`` argument).

    Like ``subscription().id`` in a template, the value is a known *shape* whose GUID is only known
    when Terraform runs: ``scopes = [data.azurerm_subscription.current.id]`` is a valid scope (AUT212),
    not an unknown. Everything else those data sources return (tenant, object ids, display name) stays
    unknown. None when ``name`` is not such an attribute.
    """
    type_ = block.labels[0]
    if type_ == "azurerm_client_config" and name == "subscription_id":
        return PLACEHOLDER_SUBSCRIPTION
    if type_ != "azurerm_subscription" or name not in ("id", "subscription_id"):
        return None
    chosen = (
        finalize(module.attribute(block, key, "subscription_id"))
        if "subscription_id" in block.attrs
        else None
    )
    if chosen is None:
        chosen = PLACEHOLDER_SUBSCRIPTION
    if not isinstance(chosen, str):
        return chosen  # an Unknown (a variable without a value)
    return f"/subscriptions/{chosen}" if name == "id" else chosen


def collection_items(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, ResourceRef):
        value = value.collection()
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    raise HclError(f"cannot iterate over a {type_name(value)}")
