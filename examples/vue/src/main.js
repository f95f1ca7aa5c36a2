import { createApp } from 'vue';
import 'kibitz/define.js';
import App from './App.vue';

createApp(App).mount('#app');
