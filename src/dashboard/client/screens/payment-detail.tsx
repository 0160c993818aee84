/**
 * One payment: its amounts, a timeline (status changes, refunds, events, webhook deliveries), and
 * capture / void / cancel / refund behind a confirmation, each offered only to roles with
 * `payments:write` (the API refuses the others whatever they send).
 */
import { useMutation, useQuery } from '@urql/preact';
import { useEffect, useState } from 'preact/hooks';
import { parseMajorAmount } from '../../../domain/money.js';
import { dateTime, minorUnits, money, t, type MessageKey } from '../i18n.js';
import {
  CancelMutation,
  CaptureMutation,
  PaymentQuery,
  RefundMutation,
  type PaymentDetail as Payment,
  type UserError,
} from '../operations.js';
import { useSession } from '../session.js';
import { ConfirmDialog, ErrorNote, Loading, StatusBadge, UserErrors } from '../ui.js';
import { DeliveryTable } from './deliveries.js';

/** Deliveries happen after the fact: the page looks again this often while it is open. */
const REFRESH_MS = 3000;

type Action = 'capture' | 'void' | 'cancel' | 'refund';

const TRANSITIONS = [
  'requiresActionAt',
  'processingAt',
  'authorizedAt',
  'succeededAt',
  'failedAt',
  'canceledAt',
  'expiredAt',
] as const;

interface Entry {
  at: number;
  kind: 'status' | 'refund' | 'event' | 'delivery';
  text: string;
  key: string;
}

function timeline(p: Payment): Entry[] {
  const entries: Entry[] = [{ at: p.createdAt, kind: 'status', text: t('payment.created'), key: 'created' }];
  for (const k of TRANSITIONS) {
    const at = p.statusTransitions[k];
    if (at) entries.push({ at, kind: 'status', text: t(`payment.${k}` as MessageKey), key: k });
  }
  for (const r of p.refunds)
    entries.push({
      at: r.createdAt,
      kind: 'refund',
      text: t('payment.refundEntry', { amount: money(r.amount, p.currency), status: r.status }),
      key: r.id,
    });
  for (const e of p.events) entries.push({ at: e.createdAt, kind: 'event', text: e.type, key: e.id });
  for (const d of p.webhookDeliveries)
    entries.push({
      at: d.lastAttemptAt ?? d.createdAt,
      kind: 'delivery',
      text: `${d.eventType} → ${d.status}${d.responseStatus ? ` (HTTP ${d.responseStatus})` : ''}`,
      key: d.id,
    });
  return entries.sort((a, b) => a.at - b.at);
}

/**
 * An amount in major units (`12.50`) of `currency`, at most `max` minor units; left empty, it
 * stands for `max`, shown as the placeholder.
 */
function AmountField(props: {
  label: string;
  currency: string;
  max: number;
  value: string;
  onInput: (value: string) => void;
}) {
  const unit = minorUnits(props.currency);
  return (
    <label>
      {props.label} ({props.currency})
      <input
        type="number"
        min={1 / unit}
        max={props.max / unit}
        step={1 / unit}
        placeholder={String(props.max / unit)}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

export function PaymentDetail({ id }: { id: string }) {
  const { can } = useSession();
  const [{ data, error, fetching }, refetch] = useQuery({ query: PaymentQuery, variables: { id } });
  const [action, setAction] = useState<Action | null>(null);
  const [refundAmount, setRefundAmount] = useState('');
  const [captureAmount, setCaptureAmount] = useState('');
  const [userErrors, setUserErrors] = useState<UserError[]>([]);
  const [captureState, capture] = useMutation(CaptureMutation);
  const [cancelState, cancel] = useMutation(CancelMutation);
  const [refundState, refund] = useMutation(RefundMutation);

  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [id]);

  const p = data?.payment;
  if (!p) return fetching ? <Loading /> : <ErrorNote error={error} />;
  const writable = can('payments:write');
  const refundMinor = refundAmount === '' ? p.amountRefundable : parseMajorAmount(refundAmount, p.currency);
  // Left empty, the whole authorized amount is captured; less captures part and releases the rest.
  const captureMinor = captureAmount === '' ? p.amount : parseMajorAmount(captureAmount, p.currency);

  const run = async () => {
    // An amount the action takes, checked before anything is sent: at least one minor unit, at
    // most what the payment allows.
    const amount =
      action === 'capture'
        ? { minor: captureMinor, max: p.amount, invalid: t('payment.invalidCaptureAmount') }
        : action === 'refund'
          ? { minor: refundMinor, max: p.amountRefundable, invalid: t('payment.invalidAmount') }
          : null;
    if (amount && (amount.minor === null || amount.minor < 1 || amount.minor > amount.max)) {
      setUserErrors([{ field: ['amount'], message: amount.invalid, code: 'invalid_amount' }]);
      return;
    }
    let errors: UserError[] = [];
    if (action === 'capture')
      errors =
        (await capture({ id: p.id, amount: captureAmount === '' ? null : captureMinor })).data?.capturePayment
          .userErrors ?? [];
    if (action === 'void' || action === 'cancel')
      errors = (await cancel({ id: p.id })).data?.cancelPayment.userErrors ?? [];
    if (action === 'refund' && refundMinor !== null)
      errors = (await refund({ paymentId: p.id, amount: refundMinor })).data?.refundPayment.userErrors ?? [];
    setUserErrors(errors);
    setAction(null);
    setRefundAmount('');
    setCaptureAmount('');
    refetch({ requestPolicy: 'network-only' });
  };

  const dialog: Record<Action, string> = {
    capture: t('payment.confirmCapture', {
      amount: captureMinor === null ? '—' : money(captureMinor, p.currency),
    }),
    void: t('payment.confirmVoid'),
    cancel: t('payment.confirmCancel'),
    refund: t('payment.confirmRefund', {
      amount: refundMinor === null ? '—' : money(refundMinor, p.currency),
    }),
  };
  const available: Action[] = !writable
    ? []
    : [
        ...(p.status === 'AUTHORIZED' ? (['capture', 'void'] as const) : []),
        ...(p.status === 'PENDING' || p.status === 'REQUIRES_ACTION' ? (['cancel'] as const) : []),
        ...(p.status === 'SUCCEEDED' && p.amountRefundable > 0 ? (['refund'] as const) : []),
      ];

  return (
    <section aria-labelledby="payment-title">
      <p>
        <a href="#/payments">← {t('payment.back')}</a>
      </p>
      <div class="row between">
        <h1 id="payment-title">
          {t('payment.title')} <span class="mono">{p.id}</span>
        </h1>
        <span data-testid="payment-status">
          <StatusBadge status={p.status} label={t(`status.${p.status}`)} />
        </span>
      </div>
      <ErrorNote error={error ?? captureState.error ?? cancelState.error ?? refundState.error} />
      <UserErrors errors={userErrors} />
      <dl class="facts card">
        <div>
          <dt>{t('payment.amount')}</dt>
          <dd data-testid="amount">{money(p.amount, p.currency)}</dd>
        </div>
        <div>
          <dt>{t('payment.refunded')}</dt>
          <dd data-testid="refunded">{money(p.amountRefunded, p.currency)}</dd>
        </div>
        <div>
          <dt>{t('payment.refundable')}</dt>
          <dd data-testid="refundable">{money(p.amountRefundable, p.currency)}</dd>
        </div>
        {p.amountCaptured !== null && (
          <div>
            <dt>{t('payment.captured')}</dt>
            <dd data-testid="captured">{money(p.amountCaptured, p.currency)}</dd>
          </div>
        )}
        <div>
          <dt>{t('payment.type')}</dt>
          <dd>{p.transactionType}</dd>
        </div>
        {p.card && (
          <div>
            <dt>{t('payments.card')}</dt>
            <dd>
              {p.card.brand} •••• {p.card.last4} ({String(p.card.expMonth).padStart(2, '0')}/{p.card.expYear})
            </dd>
          </div>
        )}
        {(p.description || p.merchantReference) && (
          <div>
            <dt>{t('payment.description')}</dt>
            <dd>{[p.merchantReference, p.description].filter(Boolean).join(' · ')}</dd>
          </div>
        )}
        {p.declineCode && (
          <div>
            <dt>{t('payment.decline')}</dt>
            <dd>
              <code>{p.declineCode}</code> {p.declineMessage}
            </dd>
          </div>
        )}
      </dl>
      {available.length > 0 && (
        <div class="row actions">
          {available.map((a) => (
            <button
              key={a}
              type="button"
              class={a === 'refund' || a === 'capture' ? 'primary' : 'danger'}
              onClick={() => setAction(a)}
            >
              {t(`payment.${a}`)}
            </button>
          ))}
        </div>
      )}
      <ConfirmDialog
        open={action !== null}
        title={action ? t(`payment.${action}`) : ''}
        confirmLabel={action ? t(`payment.${action}`) : ''}
        danger={action === 'void' || action === 'cancel'}
        busy={captureState.fetching || cancelState.fetching || refundState.fetching}
        onConfirm={() => void run()}
        onCancel={() => setAction(null)}
      >
        {action === 'capture' && (
          <AmountField
            label={t('payment.captureAmount')}
            currency={p.currency}
            max={p.amount}
            value={captureAmount}
            onInput={setCaptureAmount}
          />
        )}
        {action === 'refund' && (
          <AmountField
            label={t('payment.refundAmount')}
            currency={p.currency}
            max={p.amountRefundable}
            value={refundAmount}
            onInput={setRefundAmount}
          />
        )}
        <p>{action ? dialog[action] : ''}</p>
      </ConfirmDialog>
      <div class="card">
        <h2>{t('payment.timeline')}</h2>
        <ol class="timeline">
          {timeline(p).map((e) => (
            <li key={e.kind + e.key} class={`tl-${e.kind}`}>
              <time>{dateTime(e.at)}</time> <span>{e.text}</span>
            </li>
          ))}
        </ol>
      </div>
      <div class="card">
        <h2>{t('payment.deliveries')}</h2>
        <DeliveryTable deliveries={p.webhookDeliveries} />
      </div>
    </section>
  );
}
