/** Home: the last 30 days per day (count and volume), success rate and declines by reason. */
import { useQuery } from '@urql/preact';
import { useMemo } from 'preact/hooks';
import { day, money, percent, t } from '../i18n.js';
import { PaymentStatsQuery, type PaymentStats } from '../operations.js';
import { ErrorNote, Loading } from '../ui.js';
import { DailyChart, type ChartSeries } from './chart.js';

const DAY = 86_400;

/** Midnight UTC of today plus one day, so the last bucket is today. */
function period(): { from: number; to: number } {
  const now = Math.floor(Date.now() / 1000);
  const to = now - (now % DAY) + DAY;
  return { from: to - 30 * DAY, to };
}

/** The currency with the most volume: the chart plots one currency, the totals list them all. */
function mainCurrency(stats: PaymentStats): string | null {
  const top = [...stats.totals.volume].sort((a, b) => b.amount - a.amount)[0];
  return top?.currency ?? null;
}

export function Home() {
  const variables = useMemo(() => ({ ...period(), timeZone: 'UTC' }), []);
  const [{ data, error, fetching }] = useQuery({ query: PaymentStatsQuery, variables });
  const stats = data?.paymentStats;
  const currency = stats ? mainCurrency(stats) : null;
  const series: ChartSeries | null = useMemo(() => {
    if (!stats) return null;
    return {
      days: stats.buckets.map((b) => b.start),
      counts: stats.buckets.map((b) => b.count),
      volumes: stats.buckets.map((b) => b.volume.find((v) => v.currency === currency)?.amount ?? 0),
      countLabel: t('home.count'),
      volumeLabel: `${t('home.volume')}${currency ? ` (${currency})` : ''}`,
      formatVolume: (v) => (currency ? money(v, currency) : String(v)),
      formatDay: day,
    };
  }, [stats, currency]);
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">
        {t('home.title')} <span class="muted">· {t('home.period')}</span>
      </h1>
      <ErrorNote error={error} />
      {fetching && !stats && <Loading />}
      {stats && series && (
        <>
          <div class="tiles">
            <div class="tile">
              <h2>{t('home.volume')}</h2>
              <p class="big" data-testid="volume">
                {stats.totals.volume.length
                  ? stats.totals.volume.map((v) => money(v.amount, v.currency)).join(' · ')
                  : money(0, 'EUR')}
              </p>
            </div>
            <div class="tile">
              <h2>{t('home.count')}</h2>
              <p class="big" data-testid="count">
                {stats.totals.count}
              </p>
            </div>
            <div class="tile">
              <h2>{t('home.successRate')}</h2>
              <p class="big" data-testid="success-rate">
                {percent(stats.totals.successRate)}
              </p>
            </div>
          </div>
          <div class="card">
            <h2>{t('home.chart')}</h2>
            <DailyChart series={series} label={t('home.chart')} />
            <details>
              <summary>{t('home.chart')}</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('home.day')}</th>
                    <th scope="col">{t('home.count')}</th>
                    <th scope="col">{t('home.succeeded')}</th>
                    <th scope="col">{t('home.failed')}</th>
                    <th scope="col">{series.volumeLabel}</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.buckets.map((b, i) => (
                    <tr key={b.start}>
                      <th scope="row">{day(b.start)}</th>
                      <td>{b.count}</td>
                      <td>{b.succeeded}</td>
                      <td>{b.failed}</td>
                      <td>{series.formatVolume(series.volumes[i] ?? 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </div>
          <div class="card">
            <h2>{t('home.declines')}</h2>
            {stats.declines.length === 0 ? (
              <p class="muted">{t('home.noDeclines')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('home.reason')}</th>
                    <th scope="col">{t('home.count')}</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.declines.map((d) => (
                    <tr key={d.code}>
                      <td>
                        <code>{d.code}</code>
                      </td>
                      <td>{d.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </section>
  );
}
