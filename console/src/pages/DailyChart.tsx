import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';

/** Sign-ups and logins per day (Recharts through Mantine; loaded apart from the rest of the page). */
export default function DailyChart({ days }: { days: { day: string; signups: number; logins: number }[] }) {
  return (
    <figure style={{ margin: 0 }} aria-label="Sign-ups and logins per day">
      <BarChart
        h={260}
        data={days.map((d) => ({ ...d, day: d.day.slice(5) }))}
        dataKey="day"
        withLegend
        series={[
          { name: 'signups', label: 'Sign-ups', color: 'indigo.6' },
          { name: 'logins', label: 'Logins', color: 'teal.6' },
        ]}
        tickLine="y"
      />
    </figure>
  );
}
