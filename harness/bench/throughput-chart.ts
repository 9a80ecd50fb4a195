import * as echarts from 'echarts';
import type { BenchReport } from './bench-report.ts';

/** One colour per strategy; its no-contention line is dashed in the same colour. */
const palette = ['#5470c6', '#ee6666', '#91cc75', '#fac858', '#73c0de', '#3ba272', '#fc8452', '#9a60b4'];

/**
 * Throughput against concurrency, one line per strategy, as a standalone SVG
 * (Apache ECharts' server-side renderer: no browser, no DOM).
 */
export function throughputChartSvg(report: BenchReport, size = { width: 860, height: 540 }): string {
  const levels = [...new Set(report.results.map((result) => result.concurrency))].sort((a, b) => a - b);
  const strategies = [...new Set(report.results.map((result) => result.strategy))];
  const series: echarts.SeriesOption[] = [];
  for (const [index, strategy] of strategies.entries()) {
    const color = palette[index % palette.length]!;
    const of = (level: number) =>
      report.results.find((result) => result.strategy === strategy && result.concurrency === level);
    series.push({
      name: strategy,
      type: 'line',
      color,
      symbolSize: 6,
      data: levels.map((level) => round(of(level)?.throughput)),
    });
    if (report.results.some((result) => result.strategy === strategy && result.ceiling !== null)) {
      series.push({
        name: `${strategy} (no contention)`,
        type: 'line',
        color,
        symbol: 'none',
        lineStyle: { type: 'dashed', width: 1, opacity: 0.7 },
        data: levels.map((level) => round(of(level)?.ceiling?.throughput)),
      });
    }
  }
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, ...size });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      title: {
        text: 'Purchases per second on one hot event',
        subtext: `dashed: the same strategy with every buyer on its own event · PostgreSQL ${report.database.serverVersion}`,
        left: 'center',
      },
      // A static SVG cannot scroll: a plain legend that wraps, naming the strategies only.
      legend: { type: 'plain', bottom: 0, left: 'center', width: size.width - 40, data: strategies },
      grid: { left: 70, right: 30, top: 80, bottom: 110 },
      xAxis: {
        type: 'category',
        name: 'concurrent buyers',
        nameLocation: 'middle',
        nameGap: 28,
        data: levels.map(String),
      },
      yAxis: { type: 'value', name: 'purchases/s', min: 0 },
      series,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function round(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}
