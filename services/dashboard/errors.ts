/**
 * The dashboard's error catalogue. Its HTTP API answers every error with the lab's one HTTP
 * error body (lib/error-catalogue.ts): `{"error": <message>, "status": <n>, "code": <CODE>}`.
 * docs/errors/dashboard.md is this table rendered (scripts/error-table.ts).
 */
import { type ErrorCatalogue, type HttpErrorBody, httpErrorBody } from '../../lib/error-catalogue.ts'

export const DASHBOARD_ERRORS = {
  BAD_HOST: {
    status: 421,
    meaning:
      'the Host header is not a name of this dashboard (localhost, 127.0.0.1, [::1], DASHBOARD_HOST or DASHBOARD_ALLOWED_HOSTS): a page on another name, for instance one made to resolve to 127.0.0.1 (DNS rebinding), is not served',
    action:
      'open the dashboard as http://127.0.0.1:8088, or add the name you use to NETLAB_DASHBOARD_ALLOWED_HOSTS',
  },
  BAD_ORIGIN: {
    status: 403,
    meaning:
      'a control request (anything but GET) came with an Origin other than the dashboard page at that Host',
    action: 'use the controls from the dashboard’s own page',
  },
  FORBIDDEN: {
    status: 403,
    meaning: 'a control request (anything but GET) came without the `x-netlab-dashboard: 1` header',
    action: 'send the header; the page does, which keeps other sites’ pages from driving the controls',
  },
  BAD_NAME: {
    status: 400,
    meaning: 'a proxy or toxic name in the path is not 1-64 letters, digits, `_`, `.` or `-`',
    action: 'use the name the faults list shows',
  },
  BAD_REQUEST: {
    status: 400,
    meaning: 'the body is not the JSON the control expects',
    action: 'fix the body the message describes',
  },
  BUSY: {
    status: 503,
    meaning: 'DASHBOARD_MAX_STREAMS pages are already receiving live updates',
    action: 'close another dashboard tab, or raise the limit',
  },
  FAULTS_UNREACHABLE: {
    status: 502,
    meaning: 'the faults API did not answer the forwarded control',
    action: 'check the faults service (`make ps`); the page shows its state',
  },
  INTERNAL_ERROR: {
    status: 500,
    meaning: 'a bug in the dashboard',
    action: 'report it with the dashboard’s log line',
  },
} as const satisfies ErrorCatalogue

export type DashboardErrorCode = keyof typeof DASHBOARD_ERRORS

/** dashboardError is the one body the dashboard answers an error with, its status from the table. */
export function dashboardError(code: DashboardErrorCode, message: string): HttpErrorBody {
  return httpErrorBody(code, message, DASHBOARD_ERRORS[code].status)
}
