import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { Center, Loader } from '@mantine/core';
import { call, setCsrfToken, whenSessionLost } from './api.ts';
import { SessionContext, type SessionState } from './session.tsx';
import type { Whoami } from './types.ts';
import { SignIn } from './pages/SignIn.tsx';
import { Shell } from './Shell.tsx';

const Dashboard = lazy(() => import('./pages/Dashboard.tsx'));
const Users = lazy(() => import('./pages/Users.tsx'));
const UserEdit = lazy(() => import('./pages/UserEdit.tsx'));
const Groups = lazy(() => import('./pages/Groups.tsx'));
const GroupDetail = lazy(() => import('./pages/GroupDetail.tsx'));
const Managers = lazy(() => import('./pages/Managers.tsx'));
const Audit = lazy(() => import('./pages/Audit.tsx'));
const ImportExport = lazy(() => import('./pages/ImportExport.tsx'));
const Settings = lazy(() => import('./pages/Settings.tsx'));

const TENANT_KEY = 'roster.console.tenant';
const loading = (
  <Center h="60vh">
    <Loader aria-label="Loading" />
  </Center>
);

export function App() {
  const [me, setMe] = useState<Whoami | null | undefined>(undefined);
  const [rootTenant, setRootTenant] = useState<number | null>(() => Number(localStorage.getItem(TENANT_KEY)) || null);
  const navigate = useNavigate();
  const location = useLocation();

  // Set when a request found the session gone: sign-in then says so, and returns to where the person was.
  const [lost, setLost] = useState(false);
  const adopt = useCallback((w: Whoami | null) => {
    setCsrfToken(w?.csrfToken ?? null);
    setMe(w);
    if (w) setLost(false);
  }, []);

  useEffect(() => {
    call<Whoami>('GET', '/session')
      .then((r) => adopt(r.body))
      .catch(() => adopt(null));
  }, [adopt]);

  useEffect(() => {
    whenSessionLost(() => {
      setLost(true);
      adopt(null);
    });
  }, [adopt]);

  if (me === undefined) return loading;
  if (me === null || location.pathname === '/signin') {
    if (me && location.pathname === '/signin') {
      const next = new URLSearchParams(location.search).get('next');
      return <Navigate to={next && next.startsWith('/') ? next : '/'} replace />;
    }
    if (location.pathname !== '/signin') {
      const next = location.pathname + location.search;
      const q = new URLSearchParams();
      if (lost) q.set('ended', '1');
      if (next !== '/') q.set('next', next);
      return <Navigate to={`/signin${q.size ? `?${q}` : ''}`} replace />;
    }
    return <SignIn onSignedIn={adopt} />;
  }

  const session: SessionState = {
    me,
    tenantId: me.kind === 'manager' ? me.tenant!.id : rootTenant,
    setTenantId: (id) => {
      localStorage.setItem(TENANT_KEY, String(id));
      setRootTenant(id);
    },
    signOut: async () => {
      await call('DELETE', '/session').catch(() => {});
      adopt(null);
      navigate('/signin', { replace: true });
    },
  };

  return (
    <SessionContext.Provider value={session}>
      <Shell>
        <Suspense fallback={loading}>
          <Routes>
            <Route path="/" element={<Dashboard />} />
            <Route path="/users" element={<Users />} />
            <Route path="/users/new" element={<UserEdit />} />
            <Route path="/users/:userId" element={<UserEdit />} />
            <Route path="/groups" element={<Groups />} />
            <Route path="/groups/:groupId" element={<GroupDetail />} />
            <Route path="/managers" element={<Managers />} />
            <Route path="/audit" element={<Audit />} />
            <Route path="/import" element={<ImportExport />} />
            <Route path="/settings" element={<Settings />} />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </Suspense>
      </Shell>
    </SessionContext.Provider>
  );
}
