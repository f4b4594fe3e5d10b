import { useEffect, useRef, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  FileInput,
  Group,
  Paper,
  Progress,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import type { components } from '@roster/client';
import { call, get } from '../api.ts';
import { useCan, useTenantId } from '../session.tsx';
import { ErrorNote, PageTitle } from '../ui.tsx';

type Job = components['schemas']['ImportJob'];
type Format = 'csv' | 'ndjson';

const TYPES: Record<Format, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson' };
const POLL_MS = 400;
const formatOf = (name: string): Format => (/\.csv$/i.test(name) ? 'csv' : 'ndjson');
const finished = (j: Job) => j.state === 'done' || j.state === 'failed';
const processed = (j: Job) => j.counts.created + j.counts.updated + j.counts.unchanged + j.counts.failed;

/** The counts of a job, in a row of figures. */
function Counts({ job, label }: { job: Job; label: string }) {
  const c = job.counts;
  const figures: [string, number][] = job.dryRun
    ? [
        ['Rows', c.rows],
        ['Would be created', c.created],
        ['Would be updated', c.updated],
        ['Unchanged', c.unchanged],
        ['With errors', c.failed],
      ]
    : [
        ['Rows', c.rows],
        ['Created', c.created],
        ['Updated', c.updated],
        ['Unchanged', c.unchanged],
        ['Failed', c.failed],
      ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 5 }} aria-label={label} role="group">
      {figures.map(([name, n]) => (
        <Paper key={name} withBorder p="xs">
          <Text size="xs" c="dimmed">
            {name}
          </Text>
          <Text fw={700} size="lg">
            {n}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}

function RowErrors({ job }: { job: Job }) {
  if (job.errors.length === 0) return null;
  return (
    <Paper withBorder mt="md">
      <ScrollArea.Autosize mah={320}>
        <Table aria-label="Row errors" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={90}>Line</Table.Th>
              <Table.Th>Problem</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {job.errors.map((e) => (
              <Table.Tr key={e.line}>
                <Table.Td>{e.line}</Table.Td>
                <Table.Td>{e.message.replace(/^line \d+: /, '')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      {job.counts.failed > job.errors.length && (
        <Text size="sm" c="dimmed" p="xs">
          The first {job.errors.length} of {job.counts.failed} rows with errors.
        </Text>
      )}
    </Paper>
  );
}

function Import({ tenantId }: { tenantId: number }) {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<Format>('csv');
  const [mode, setMode] = useState<'create' | 'upsert'>('create');
  const [atomic, setAtomic] = useState(false);
  const [dry, setDry] = useState<Job | null>(null);
  const [run, setRun] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );

  // A change of file or options asks for a new dry run before the import can run.
  useEffect(() => {
    setDry(null);
    setRun(null);
  }, [file, format, mode, atomic]);

  /** Starts a job and follows it until it ends, showing each state it reports. */
  async function follow(dryRun: boolean, show: (j: Job) => void) {
    setError(null);
    setBusy(true);
    try {
      let job = (
        await call<Job>('POST', `/tenants/${tenantId}/imports`, {
          body: file!,
          contentType: TYPES[format],
          query: { mode, atomic, dryRun },
        })
      ).body;
      show(job);
      while (!finished(job) && live.current) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        job = await get<Job>(`/tenants/${tenantId}/imports/${job.id}`);
        show(job);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const total = dry?.counts.rows ?? 0;
  const percent = run ? (finished(run) ? 100 : total ? Math.min(100, (processed(run) / total) * 100) : 0) : 0;
  return (
    <Paper withBorder p="md">
      <Title order={3} mb="sm">
        Import users
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        A CSV file with a header row of field names (username, email, firstName, … and attr.&lt;name&gt; columns), or
        NDJSON with one user per line. A dry run checks every row and writes nothing; then run the import.
      </Text>
      <Group align="end" wrap="wrap">
        <FileInput
          label="File"
          placeholder="Choose a CSV or NDJSON file"
          accept=".csv,.ndjson,.jsonl,.json,text/csv,application/x-ndjson"
          value={file}
          onChange={(f) => {
            setFile(f);
            if (f) setFormat(formatOf(f.name));
          }}
          clearable
          clearButtonProps={{ 'aria-label': 'Clear file' }}
          // Shown as text (not an input's placeholder): dimmed, which meets AA contrast, not placeholder grey.
          styles={{ placeholder: { color: 'var(--mantine-color-dimmed)' } }}
          w={320}
          maw="100%"
        />
        <Select
          label="Format"
          data={[
            { value: 'csv', label: 'CSV' },
            { value: 'ndjson', label: 'NDJSON' },
          ]}
          value={format}
          onChange={(v) => v && setFormat(v as Format)}
          allowDeselect={false}
          w={120}
        />
        <Select
          label="Existing users"
          data={[
            { value: 'create', label: 'Are an error' },
            { value: 'upsert', label: 'Are updated' },
          ]}
          value={mode}
          onChange={(v) => v && setMode(v as 'create' | 'upsert')}
          allowDeselect={false}
          w={160}
        />
        <Checkbox label="All or nothing" checked={atomic} onChange={(e) => setAtomic(e.currentTarget.checked)} mb={8} />
      </Group>
      <Group mt="md">
        <Button disabled={!file || busy} loading={busy && !run} onClick={() => follow(true, setDry)}>
          Dry run
        </Button>
        <Button
          disabled={!dry || !finished(dry) || dry.state === 'failed' || busy || !!run}
          onClick={() => follow(false, setRun)}
        >
          Run import
        </Button>
      </Group>
      <ErrorNote error={error} />
      {dry && finished(dry) && !run && (
        <Stack mt="md" gap="xs">
          <Text fw={600} role="status">
            {dry.state === 'failed'
              ? `Dry run failed: ${dry.message ?? 'the file could not be read'}`
              : dry.counts.failed
                ? `Dry run: ${dry.counts.failed} of ${dry.counts.rows} rows have errors. Fix them, or run the import to write the other rows.`
                : `Dry run: all ${dry.counts.rows} rows are fine. Nothing was written yet.`}
          </Text>
          <Counts job={dry} label="Dry run counts" />
          <RowErrors job={dry} />
        </Stack>
      )}
      {run && (
        <Stack mt="md" gap="xs">
          <Progress
            value={percent}
            size="lg"
            aria-label="Import progress"
            color={run.state === 'failed' ? 'red' : undefined}
            animated={!finished(run)}
          />
          <Text fw={600} role="status">
            {run.state === 'done'
              ? `Import finished: ${run.counts.created} created, ${run.counts.updated} updated, ${run.counts.unchanged} unchanged, ${run.counts.failed} failed.`
              : run.state === 'failed'
                ? `Import failed: ${run.message ?? 'see the errors below'}`
                : `Importing… ${processed(run)} of ${total} rows`}
          </Text>
          <Counts job={run} label="Import counts" />
          <RowErrors job={run} />
        </Stack>
      )}
    </Paper>
  );
}

function Export({ tenantId }: { tenantId: number }) {
  const [format, setFormat] = useState<Format>('csv');
  const [hashes, setHashes] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function download() {
    setError(null);
    setBusy(true);
    try {
      const r = await call<Blob>('GET', `/tenants/${tenantId}/export`, {
        query: { format, withPasswordHashes: hashes },
        blob: true,
      });
      const url = URL.createObjectURL(r.body);
      const a = document.createElement('a');
      a.href = url;
      a.download = `users-${tenantId}.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md">
      <Title order={3} mb="sm">
        Export users
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Every user of this tenant, one per row. Importing the file into an empty tenant reproduces them.
      </Text>
      <Group align="end" wrap="wrap">
        <Select
          label="Export format"
          data={[
            { value: 'csv', label: 'CSV' },
            { value: 'ndjson', label: 'NDJSON' },
          ]}
          value={format}
          onChange={(v) => v && setFormat(v as Format)}
          allowDeselect={false}
          w={120}
        />
        <Checkbox
          label="Include password hashes"
          checked={hashes}
          onChange={(e) => setHashes(e.currentTarget.checked)}
          mb={8}
        />
        <Button onClick={download} loading={busy}>
          Download export
        </Button>
      </Group>
      {hashes && (
        <Alert color="yellow" mt="md" title="The file will hold password hashes">
          Anyone with the file can try to guess passwords offline. Keep it as safe as the database.
        </Alert>
      )}
      <ErrorNote error={error} />
    </Paper>
  );
}

export default function ImportExport() {
  const tenantId = useTenantId();
  const can = useCan();
  return (
    <>
      <PageTitle>Import &amp; export</PageTitle>
      <Stack>
        {can('editor') ? <Import tenantId={tenantId} /> : <Text>Importing users takes the editor role.</Text>}
        {can('owner') ? <Export tenantId={tenantId} /> : <Text>Exporting users takes the owner role.</Text>}
      </Stack>
    </>
  );
}
