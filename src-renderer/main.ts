import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { createRouter, createWebHashHistory } from 'vue-router';
import App from './App.vue';
import LibraryView from './views/LibraryView.vue';
import NewVmView from './views/NewVmView.vue';
import VmView from './views/VmView.vue';
import VmSettingsView from './views/VmSettingsView.vue';
import './assets/base.css';
import './assets/inspector.css';
import './assets/snapshots.css';

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'library', component: LibraryView },
    { path: '/new', name: 'new-vm', component: NewVmView },
    { path: '/vm/:id', name: 'vm', component: VmView, props: true },
    { path: '/vm/:id/settings', name: 'vm-settings', component: VmSettingsView, props: true },
  ],
});

createApp(App).use(createPinia()).use(router).mount('#app');
