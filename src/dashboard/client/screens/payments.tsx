/**
 * Payments: 50 a page (Relay cursors, "Load more"), filtered on the server, rows kept live by
 * `paymentStatusChanged` (every payment of the merchant: a new one appears at the top), and the
 * filtered set exported as CSV.
 */
import { useClient } from '@urql/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { dateTime, money, t } from '../i18n.js';
import {
  PAYMENT_STATUSES,
  PaymentChangesSubscription,
  PaymentExportQuery,
  PaymentsQuery,
  type PaymentFilter,
  type PaymentRow,
  type PaymentStatus,
} from '../operations.js';
import { useSession } from '../session.js';
import { ErrorNote, Loading, Notice, StatusBadge } from '../ui.js';
import type { CombinedError } from '@urql/core';
import { filterOf, matches, EMPTY_FORM, type FilterForm } from './payment-filter.js';

const PAGE = 50;

export function Payments() {
  const client = useClient();
  const { can } = useSession();
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [filter, setFilter] = useState<PaymentFilter | null>(null);
  const [rows, setRows] = useState<PaymentRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<CombinedError | null>(null);
  const [exported, setExported] = useState<{ count: number; truncated: boolean } | null>(null);
  /** The newest state of every payment the subscription reported, by id. */
  const live = useRef(new Map<string, PaymentRow>());
  const filterRef = useRef(filter);
  filterRef.current = filter;

  const newest = (row: PaymentRow) => {
    const seen = live.current.get(row.id);
    return seen && seen.version > row.version ? seen : row;
  };

  /** Bumped by every new filter: an answer for an older filter arrives too late to be shown. */
  const generation = useRef(0);

  const load = async (after: string | null) => {
    const asked = generation.current;
    setLoading(true);
    const answer = await client
      .query(PaymentsQuery, { filter, after, first: PAGE }, { requestPolicy: 'network-only' })
      .toPromise();
    if (asked !== generation.current) return;
    setLoading(false);
    setError(answer.error ?? null);
    const page = answer.data?.payments;
    if (!page) return;
    const fetched = page.edges.map((e) => newest(e.node));
    setRows((current) => {
      if (after) {
        const have = new Set(current.map((r) => r.id));
        return [...current, ...fetched.filter((r) => !have.has(r.id))];
      }
      // Payments that arrived live while the page was on its way and are newer than it stay on top.
      const ids = new Set(fetched.map((r) => r.id));
      const top = fetched[0]?.createdAt ?? 0;
      const arrived = current.filter((r) => !ids.has(r.id) && r.createdAt >= top);
      return [...arrived, ...fetched];
    });
    setCursor(page.pageInfo.endCursor);
    setMore(page.pageInfo.hasNextPage);
  };

  useEffect(() => {
    generation.current += 1;
    setRows([]);
    void load(null);
  }, [filter]);

  useEffect(() => {
    const { unsubscribe } = client.subscription(PaymentChangesSubscription, {}).subscribe((result) => {
      const payment = result.data?.paymentStatusChanged;
      if (!payment) return;
      live.current.set(payment.id, newest(payment));
      setRows((current) => {
        const at = current.findIndex((r) => r.id === payment.id);
        if (at >= 0) {
          const next = [...current];
          next[at] = current[at]!.version > payment.version ? current[at]! : payment;
          return next;
        }
        return matches(filterRef.current, payment) ? [payment, ...current] : current;
      });
    });
    return unsubscribe;
  }, [client]);

  const apply = (e: Event) => {
    e.preventDefault();
    setExported(null);
    setFilter(filterOf(form));
  };
  const reset = () => {
    setForm(EMPTY_FORM);
    setExported(null);
    setFilter(null);
  };
  const exportCsv = async () => {
    const answer = await client
      .query(PaymentExportQuery, { filter }, { requestPolicy: 'network-only' })
      .toPromise();
    setError(answer.error ?? null);
    const result = answer.data?.paymentExport;
    if (!result) return;
    const url = URL.createObjectURL(new Blob([result.csv], { type: 'text/csv;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `payments-${new Date().toISOString().slice(0, 10)}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setExported({ count: result.rowCount, truncated: result.truncated });
  };

  const field = (key: keyof FilterForm) => ({
    value: form[key],
    onInput: (e: Event) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value }),
  });

  return (
    <section aria-labelledby="payments-title">
      <div class="row between">
        <h1 id="payments-title">{t('payments.title')}</h1>
        <span class="live-dot" aria-hidden="true">
          ● {t('payments.live')}
        </span>
      </div>
      <form class="filters card" onSubmit={apply} aria-label={t('payments.filters')}>
        <label>
          {t('payments.status')}
          <select
            value={form.status}
            onChange={(e) => setForm({ ...form, status: e.currentTarget.value as PaymentStatus | '' })}
          >
            <option value="">{t('payments.any')}</option>
            {PAYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('payments.from')}
          <input type="date" {...field('from')} />
        </label>
        <label>
          {t('payments.to')}
          <input type="date" {...field('to')} />
        </label>
        <label>
          {t('payments.min')}
          <input type="number" min="0" step="0.01" inputMode="decimal" {...field('min')} />
        </label>
        <label>
          {t('payments.max')}
          <input type="number" min="0" step="0.01" inputMode="decimal" {...field('max')} />
        </label>
        <label class="wide">
          {t('payments.search')}
          <input type="search" {...field('search')} />
        </label>
        <div class="row">
          <button type="submit" class="primary">
            {t('payments.apply')}
          </button>
          <button type="button" onClick={reset}>
            {t('payments.reset')}
          </button>
          {can('payments:export') && (
            <button type="button" onClick={() => void exportCsv()}>
              {t('payments.export')}
            </button>
          )}
        </div>
      </form>
      {exported && (
        <Notice>
          {t('payments.exported', { count: exported.count })}
          {exported.truncated ? ` ${t('payments.truncated')}` : ''}
        </Notice>
      )}
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table class="payments" aria-describedby="payments-count">
          <thead>
            <tr>
              <th scope="col">{t('payments.amount')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col" class="hide-phone">
                {t('payments.reference')}
              </th>
              <th scope="col" class="hide-phone">
                {t('payments.card')}
              </th>
              <th scope="col" class="hide-phone">
                {t('payments.created')}
              </th>
              <th scope="col">{t('common.id')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id} data-payment-id={p.id} data-status={p.status}>
                <td class="num">{money(p.amount, p.currency)}</td>
                <td>
                  <StatusBadge status={p.status} label={t(`status.${p.status}`)} />
                </td>
                <td class="hide-phone">{p.merchantReference ?? p.description ?? '—'}</td>
                <td class="hide-phone">{p.card ? `${p.card.brand} •••• ${p.card.last4}` : '—'}</td>
                <td class="hide-phone">{dateTime(p.createdAt)}</td>
                <td>
                  <a href={`#/payments/${p.id}`} class="mono id-link">
                    {p.id}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p id="payments-count" class="muted">
        {t('payments.shown', { count: rows.length })}
      </p>
      {loading && <Loading />}
      {!loading && rows.length === 0 && !error && <p>{t('payments.empty')}</p>}
      {more && !loading && (
        <button type="button" onClick={() => void load(cursor)}>
          {t('common.loadMore')}
        </button>
      )}
    </section>
  );
}
