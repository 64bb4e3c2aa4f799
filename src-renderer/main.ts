import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { createRouter, createWebHashHistory } from 'vue-router';
import App from './App.vue';
import LibraryView from './views/LibraryView.vue';
import './assets/base.css';

const router = createRouter({
  history: createWebHashHistory(),
  routes: [{ path: '/', name: 'library', component: LibraryView }],
});

createApp(App).use(createPinia()).use(router).mount('#app');
