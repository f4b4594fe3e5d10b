import { useEffect, useRef, useState, type ReactNode } from 'react';
import { NavLink as RouterLink, useLocation } from 'react-router';
import { AppShell, Badge, Burger, Button, Group, NavLink, Select, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { get } from './api.ts';
import { useSession } from './session.tsx';
import type { Page, Tenant } from './types.ts';

const NAV = [
  { to: '/', label: 'Dashboard' },
  { to: '/users', label: 'Users' },
  { to: '/groups', label: 'Groups' },
  { to: '/managers', label: 'Managers' },
  { to: '/audit', label: 'Audit log' },
  { to: '/import', label: 'Import & export' },
  { to: '/settings', label: 'Settings' },
];

/** Root works on any tenant: it picks one here (remembered in this browser). */
function TenantPicker() {
  const { tenantId, setTenantId } = useSession();
  const [tenants, setTenants] = useState<Tenant[]>([]);
  useEffect(() => {
    get<Page<Tenant>>('/tenants', { limit: 1000 }).then((p) => {
      setTenants(p.items);
      if (tenantId === null && p.items[0]) setTenantId(p.items[0].id);
    });
  }, []);
  return (
    <Select
      aria-label="Tenant"
      size="xs"
      w={180}
      data={tenants.map((t) => ({ value: String(t.id), label: t.name }))}
      value={tenantId === null ? null : String(tenantId)}
      onChange={(v) => v && setTenantId(Number(v))}
      allowDeselect={false}
    />
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { me, signOut, tenantId } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  // The phone menu closes when a page is chosen (only then: not on every render).
  const path = useRef(location.pathname);
  useEffect(() => {
    if (path.current !== location.pathname) close();
    path.current = location.pathname;
  }, [location.pathname, close]);
  const who = me.kind === 'root' ? 'Root operator' : me.manager!.name;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h4">
              Roster
            </Title>
            {me.kind === 'manager' && (
              <Text size="sm" c="dimmed" visibleFrom="xs">
                {me.tenant!.name}
              </Text>
            )}
            {me.kind === 'root' && <TenantPicker />}
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="sm">
              {who}
            </Text>
            <Badge variant="filled" visibleFrom="xs">
              {me.kind === 'root' ? 'root' : me.manager!.role}
            </Badge>
            <Button variant="default" size="xs" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <Stack gap={2} component="nav" aria-label="Console">
          {NAV.map((n) => (
            <NavLink
              key={n.to}
              component={RouterLink}
              to={n.to}
              end={n.to === '/'}
              label={n.label}
              variant="filled"
              active={n.to === '/' ? location.pathname === '/' : location.pathname.startsWith(n.to)}
            />
          ))}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        {tenantId === null && location.pathname !== '/settings' ? (
          <Text>Pick a tenant above, or create one under Settings.</Text>
        ) : (
          children
        )}
      </AppShell.Main>
    </AppShell>
  );
}
