"""The models of the Fragment API: frozen attrs classes with no I/O.

Every params and response class of the 18 operations is exported here, under the official
SDK's names. Nested classes whose names repeat across modules (the response
:class:`~fragment.types.invoice.LineItem`, the ``Account`` and ``Allocation`` of a transaction
and of its create params) are imported from their modules, as in the official SDK;
:class:`LineItem` here is the line item of ``invoices.create``.
"""

from .currency_code import CURRENCY_CODES, CurrencyCode
from .external_account import ExternalAccount
from .external_account_create_params import ExternalAccountCreateParams
from .external_account_create_response import ExternalAccountCreateResponse
from .external_account_list_response import ExternalAccountListResponse
from .invoice import Invoice
from .invoice_create_params import InvoiceCreateParams, LineItem, LineItemType
from .invoice_create_response import Data, DataLineItem, InvoiceCreateResponse
from .invoice_list_history_response import (
    DataDiff,
    DataDiffAddDiffEntry,
    DataDiffDeleteDiffEntry,
    DataDiffUpdateDiffEntry,
    InvoiceListHistoryResponse,
)
from .invoice_list_response import InvoiceListResponse
from .invoice_retrieve_response import Amounts, Balance, InvoiceRetrieveResponse, InvoiceUser
from .invoice_update_params import (
    InvoiceUpdateParams,
    LineItemAddOp,
    LineItemDeleteOp,
    LineItemsUpdate,
    LineItemUpdateOp,
)
from .invoice_update_response import InvoiceUpdateResponse
from .product import PaidByRole, PaidToRole, Product
from .product_create_params import ProductCreateParams, RoleRef
from .product_create_response import ProductCreateResponse
from .product_list_response import ProductListResponse
from .product_retrieve_response import ProductRetrieveResponse
from .role import Role
from .role_create_params import RoleCreateParams
from .role_create_response import RoleCreateResponse
from .role_list_response import RoleListResponse
from .transaction import AllocationType, AllocationUser, Transaction
from .transaction_create_allocations_params import (
    AllocationAddOp,
    AllocationDeleteOp,
    AllocationUpdate,
    TransactionCreateAllocationsParams,
)
from .transaction_create_allocations_response import TransactionCreateAllocationsResponse
from .transaction_create_params import TransactionCreateParams
from .transaction_create_response import TransactionCreateResponse
from .transaction_list_params import ReconciliationStatus, TransactionListParams
from .transaction_list_response import TransactionListResponse
from .transaction_retrieve_response import TransactionRetrieveResponse
from .user import User
from .user_create_params import UserCreateParams
from .user_create_response import UserCreateResponse
from .user_list_response import UserListResponse

__all__ = [
    "AllocationAddOp",
    "AllocationDeleteOp",
    "AllocationType",
    "AllocationUpdate",
    "AllocationUser",
    "Amounts",
    "Balance",
    "CURRENCY_CODES",
    "CurrencyCode",
    "Data",
    "DataDiff",
    "DataDiffAddDiffEntry",
    "DataDiffDeleteDiffEntry",
    "DataDiffUpdateDiffEntry",
    "DataLineItem",
    "ExternalAccount",
    "ExternalAccountCreateParams",
    "ExternalAccountCreateResponse",
    "ExternalAccountListResponse",
    "Invoice",
    "InvoiceCreateParams",
    "InvoiceCreateResponse",
    "InvoiceListHistoryResponse",
    "InvoiceListResponse",
    "InvoiceRetrieveResponse",
    "InvoiceUpdateParams",
    "InvoiceUpdateResponse",
    "InvoiceUser",
    "LineItem",
    "LineItemAddOp",
    "LineItemDeleteOp",
    "LineItemType",
    "LineItemUpdateOp",
    "LineItemsUpdate",
    "PaidByRole",
    "PaidToRole",
    "Product",
    "ProductCreateParams",
    "ProductCreateResponse",
    "ProductListResponse",
    "ProductRetrieveResponse",
    "ReconciliationStatus",
    "Role",
    "RoleCreateParams",
    "RoleCreateResponse",
    "RoleListResponse",
    "RoleRef",
    "Transaction",
    "TransactionCreateAllocationsParams",
    "TransactionCreateAllocationsResponse",
    "TransactionCreateParams",
    "TransactionCreateResponse",
    "TransactionListParams",
    "TransactionListResponse",
    "TransactionRetrieveResponse",
    "User",
    "UserCreateParams",
    "UserCreateResponse",
    "UserListResponse",
]
