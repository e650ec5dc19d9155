/**
 * What an AI agent is told about the CatalystPay tool. n8n turns the node into
 * `n8n-nodes-catalystpay.catalystPayTool` for AI Agents and the MCP Server Trigger; an agent sees only
 * a tool's description and its arguments' descriptions, so these say what each operation does, what
 * it returns, what to do with the result, and the format of every value.
 *
 * The example workflow examples/mcp-agent-tools.json uses CREATE_TOOL_DESCRIPTION and
 * GET_TOOL_DESCRIPTION as its tools' descriptions (test/nodes/catalystPay.tool.test.ts keeps them equal).
 */

/** The tool variant's own description: the default of its "Tool Description" field in the editor. */
export const TOOL_DESCRIPTION =
	'Create CatalystPay payment pages for customers and check whether they paid. Create returns a payment_url to give the customer; no money moves until the customer pays on that page. Get reads a session (by its ps_ session_token) and its status: PENDING, COMPLETED or FAILED.';

export const CREATE_TOOL_DESCRIPTION =
	"Create a CatalystPay payment session for one customer and one purchase. Returns JSON with session_token (ps_ followed by 30 letters and digits; keep it to check the payment later with the get tool), status (PENDING) and payment_url. Give payment_url to the customer: they open it and pay on CatalystPay's hosted payment page. Creating a session moves no money; money moves only when the customer pays on that page. Call it once per purchase: each call makes another payment page. Needs the customer's first name, last name, email address (name@example.com) and country as an ISO 3166-1 alpha-2 code (two letters such as DE, AT, FR; not the country's name); street address, city and postal code are optional.";

export const GET_TOOL_DESCRIPTION =
	"Read a CatalystPay payment session by its session_token (ps_..., as the create tool returned it) or by its payment_url. Returns JSON with status: PENDING (not paid yet), COMPLETED (paid; order_number is set) or FAILED (the payment was declined), and the amount, currency and the customer's details. Read-only: it never changes or pays anything, so it is safe to call again to see whether the customer has paid.";
