/**
 * The daily chart of the home screen: payment count (bars) and volume (line) per day. uPlot is
 * fetched only when a chart is drawn, so the first load does not carry it; the same numbers are
 * in a table beside it for screen readers and keyboard users.
 */
import { useEffect, useRef } from 'preact/hooks';

const DAY = 86_400;

export interface ChartSeries {
  days: number[];
  counts: number[];
  volumes: number[];
  countLabel: string;
  volumeLabel: string;
  formatVolume: (value: number) => string;
  formatDay: (seconds: number) => string;
}

export function DailyChart({ series, label }: { series: ChartSeries; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let disposed = false;
    let plot: { destroy(): void; setSize(size: { width: number; height: number }): void } | null = null;
    let observer: ResizeObserver | null = null;
    void import('uplot').then(({ default: UPlot }) => {
      const target = ref.current;
      if (disposed || !target) return;
      const size = () => ({ width: Math.max(target.clientWidth, 280), height: 260 });
      const bars = UPlot.paths.bars?.({ size: [0.6, 40] });
      plot = new UPlot(
        {
          ...size(),
          legend: { show: false },
          cursor: { show: true, drag: { x: false, y: false } },
          // Half a day either side, so the first and last day's bars are whole.
          scales: {
            x: { time: true, range: (_u, min, max) => [min - DAY / 2, max + DAY / 2] },
            count: { auto: true, range: (_u, _min, max) => [0, Math.max(max, 1)] },
            volume: { auto: true, range: (_u, _min, max) => [0, Math.max(max, 1)] },
          },
          axes: [
            { values: (_u, ticks) => ticks.map((t) => series.formatDay(t)), stroke: '#3d4451' },
            // Payments are counted in whole numbers.
            { scale: 'count', stroke: '#3d4451', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000] },
            {
              scale: 'volume',
              side: 1,
              stroke: '#3d4451',
              grid: { show: false },
              size: 80,
              values: (_u, ticks) => ticks.map((t) => series.formatVolume(t)),
            },
          ],
          series: [
            {},
            { label: series.countLabel, scale: 'count', fill: '#9ec5fe', stroke: '#1d5fbf', paths: bars },
            { label: series.volumeLabel, scale: 'volume', stroke: '#0b7a45', width: 2 },
          ],
        },
        [series.days, series.counts, series.volumes],
        target,
      );
      observer = new ResizeObserver(() => plot?.setSize(size()));
      observer.observe(target);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [series]);
  return <div class="chart" ref={ref} role="img" aria-label={label} />;
}
